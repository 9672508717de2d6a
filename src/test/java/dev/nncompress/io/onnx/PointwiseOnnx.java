package dev.nncompress.io.onnx;

import java.nio.file.Path;

import static dev.nncompress.io.onnx.OnnxModels.in;
import static dev.nncompress.io.onnx.OnnxModels.integer;
import static dev.nncompress.io.onnx.OnnxModels.ints;
import static dev.nncompress.io.onnx.OnnxModels.real;

/** An untrained Fashion-MNIST-shaped classifier of pointwise ops as an ONNX file, for the command-line tests. */
public final class PointwiseOnnx {
    private PointwiseOnnx() {}

    /**
     * [N, 1, 28, 28] -> conv 3x3/2 -> HardSwish -> squeeze-excitation (GlobalAveragePool, 1x1 convs, Relu, Sigmoid,
     * Mul) -> Sub a per-channel constant, Div by a scalar -> Clip(0, 6) -> conv 3x3/2 -> LeakyRelu -> Flatten -> Gemm -> Softmax, written to {@code file}.
     */
    public static Path classifier(Path file) {
        return new OnnxModels(21).opset(14).input("x", 1, 28, 28)
                .weight("stem.weight", 0.6f, 8, 1, 3, 3).weight("stem.bias", 0.1f, 8)
                .node("Conv", "stem", in("x", "stem.weight", "stem.bias"), "a", ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))
                .node("HardSwish", "hswish", in("a"), "b")
                .node("GlobalAveragePool", "se_pool", in("b"), "p")
                .weight("se.fc1.weight", 0.5f, 4, 8, 1, 1).weight("se.fc1.bias", 0.1f, 4)
                .node("Conv", "se_fc1", in("p", "se.fc1.weight", "se.fc1.bias"), "s1", ints("kernel_shape", 1, 1))
                .node("Relu", "se_relu", in("s1"), "s2")
                .weight("se.fc2.weight", 0.5f, 8, 4, 1, 1).weight("se.fc2.bias", 0.1f, 8)
                .node("Conv", "se_fc2", in("s2", "se.fc2.weight", "se.fc2.bias"), "s3", ints("kernel_shape", 1, 1))
                .node("Sigmoid", "se_gate", in("s3"), "g")
                .node("Mul", "se_scale", in("b", "g"), "c")
                .weight("shift", 0.1f, 8, 1, 1).weight("half", new float[] {0.5f})
                .node("Sub", "sub", in("c", "shift"), "d")
                .node("Div", "div", in("d", "half"), "e")
                .weight("zero", new float[] {0f}).weight("six", new float[] {6f})
                .node("Clip", "relu6", in("e", "zero", "six"), "f")
                .weight("conv2.weight", 0.3f, 16, 8, 3, 3).weight("conv2.bias", 0.1f, 16)
                .node("Conv", "conv2", in("f", "conv2.weight", "conv2.bias"), "h", ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))
                .node("LeakyRelu", "lrelu", in("h"), "i", real("alpha", 0.1f))
                .node("Flatten", "flatten", in("i"), "k", integer("axis", 1))
                .weight("fc.weight", 0.05f, 10, 784).weight("fc.bias", 0.1f, 10)
                .node("Gemm", "fc", in("k", "fc.weight", "fc.bias"), "logits", integer("transB", 1))
                .node("Softmax", "probs", in("logits"), "y")
                .output("y")
                .write(file);
    }
}
