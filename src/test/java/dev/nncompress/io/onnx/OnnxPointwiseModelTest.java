package dev.nncompress.io.onnx;

import ai.onnxruntime.OrtException;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Node;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.nncompress.io.onnx.OnnxModels.in;
import static dev.nncompress.io.onnx.OnnxModels.integer;
import static dev.nncompress.io.onnx.OnnxModels.ints;
import static dev.nncompress.io.onnx.OnnxModels.real;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A model using every pointwise op, written in Java as an exporter would: conv -> HardSwish -> squeeze-
 * excitation (GlobalAveragePool, 1x1 convs, Relu, Sigmoid, Mul) -> Sub and Div by constants -> LeakyRelu,
 * Tanh, Clip (ReLU6) -> Flatten -> Gemm -> Softmax; imported, it gives ONNX Runtime's probabilities within
 * 1e-4 relative on the reference and the CPU backend.
 */
class OnnxPointwiseModelTest {
    private static Backend ref, cpu;
    @TempDir Path tmp;

    @BeforeAll static void open() {
        ref = new ReferenceBackend();
        cpu = new CpuBackend();
    }

    @AfterAll static void close() {
        ref.close();
        cpu.close();
    }

    @Test
    void everyPointwiseOpInOneModelMatchesOnnxRuntimeOnBothBackends() throws OrtException {
        OnnxModels m = new OnnxModels(11).opset(14).input("x", 3, 8, 8)
                .weight("conv1.weight", 0.5f, 8, 3, 3, 3).weight("conv1.bias", 0.2f, 8)
                .node("Conv", "conv1", in("x", "conv1.weight", "conv1.bias"), "c1", ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1))
                .node("HardSwish", "hswish", in("c1"), "h")
                .node("GlobalAveragePool", "se_pool", in("h"), "p")
                .weight("se.fc1.weight", 0.6f, 4, 8, 1, 1).weight("se.fc1.bias", 0.1f, 4)
                .node("Conv", "se_fc1", in("p", "se.fc1.weight", "se.fc1.bias"), "s1", ints("kernel_shape", 1, 1))
                .node("Relu", "se_relu", in("s1"), "s2")
                .weight("se.fc2.weight", 0.6f, 8, 4, 1, 1).weight("se.fc2.bias", 0.1f, 8)
                .node("Conv", "se_fc2", in("s2", "se.fc2.weight", "se.fc2.bias"), "s3", ints("kernel_shape", 1, 1))
                .node("Sigmoid", "se_gate", in("s3"), "gate")
                .node("Mul", "se_scale", in("h", "gate"), "se")
                .weight("norm.mean", 0.2f, 1, 8, 1, 1).weight("norm.std", new float[] {0.5f, 0.7f, 0.9f, 1.1f, 1.3f, 1.5f, 1.7f, 1.9f}, 8, 1, 1)
                .node("Sub", "norm_sub", in("se", "norm.mean"), "n1")
                .node("Div", "norm_div", in("n1", "norm.std"), "n2")
                .node("LeakyRelu", "lrelu", in("n2"), "l", real("alpha", 0.2f))
                .weight("three", new float[] {3f})
                .node("Mul", "gain", in("l", "three"), "l3")
                .node("Tanh", "tanh", in("l3"), "t")
                .weight("zero", new float[] {0f}).weight("six", new float[] {6f})
                .node("Mul", "gain6", in("three", "t"), "t3")
                .node("Clip", "relu6", in("t3", "zero", "six"), "r6")
                .node("Flatten", "flatten", in("r6"), "f", integer("axis", 1))
                .weight("fc.weight", 0.05f, 10, 512).weight("fc.bias", 0.1f, 10)
                .node("Gemm", "fc", in("f", "fc.weight", "fc.bias"), "logits", integer("transB", 1))
                .node("Softmax", "probs", in("logits"), "y")
                .output("y");
        OnnxImporter.Imported imp = OrtAssert.assertMatches(m.build(), tmp, 4, 3, 8, 8, ref, cpu);
        assertEquals("[CONV2D, HARD_SWISH, GLOBAL_AVGPOOL, CONV2D, RELU, CONV2D, SIGMOID, MUL, SUB, DIV, LEAKY_RELU, MUL, TANH, MUL, CLIP, FLATTEN, "
                + "LINEAR, SOFTMAX]", imp.graph().nodes().stream().map(Node::op).toList().toString());
    }
}
