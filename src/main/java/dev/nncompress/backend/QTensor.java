package dev.nncompress.backend;

import dev.nncompress.quant.QParams;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * A quantized tensor, as PyTorch's: int8 codes in a backend {@link Tensor} of {@link DType#I8} and the
 * {@link QParams} that give them values. The codes' shape is the logical one ([N, C, H, W] for images,
 * [N, F] for features: what the float tensor would have); a rank-4 tensor's codes are stored channels-last
 * (NHWC) on every backend, because an int8 convolution's im2col rows are then contiguous channel runs and its GEMM
 * output (one row per position) is already the next layer's input. Other ranks are row-major. Made and read by the
 * int8 ops of {@link Backend}; closing it closes the codes.
 */
public record QTensor(Tensor codes, QParams params) implements AutoCloseable {
    public QTensor {
        if (codes == null || params == null) throw new IllegalArgumentException("QTensor: codes and params must not be null");
        if (codes.dtype() != DType.I8) throw new IllegalArgumentException("QTensor: codes must be I8, got " + codes.dtype());
        if (!params.perTensor()) {
            Shape s = codes.shape();
            if (params.axis() >= s.rank() || s.dim(params.axis()) != params.scales().length) {
                throw new IllegalArgumentException("QTensor " + s + ": " + params + " does not match the shape");
            }
        }
    }

    public Shape shape() { return codes.shape(); }

    /** The backend that holds the codes. */
    public Backend backend() { return Backend.of(codes); }

    @Override public void close() { codes.close(); }

    @Override public String toString() { return "QTensor" + shape() + " " + params; }
}
