package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * A max-pool's output and, per output, where its gradient goes ({@link Backend#reluMaxPool2dArgmax}, issue 23): the
 * backward then scatters the incoming gradient by {@code argmax} instead of re-reading the pool's input and finding each
 * window's maximum again. {@code argmax} has the output's shape; each value is the position of the window's first
 * maximum inside the window, row-major ({@code dy * kernelW + dx}, as a float), or -1 where no gradient flows (ReLU's
 * mask: the maximum was not positive). The caller owns both tensors.
 */
public record PoolArgmax(Tensor output, Tensor argmax, Shape inputShape, Pool2dSpec spec) {}
