package dev.nncompress.io.onnx;

import static dev.nncompress.io.onnx.OnnxModels.in;
import static dev.nncompress.io.onnx.OnnxModels.integer;
import static dev.nncompress.io.onnx.OnnxModels.ints;
import static dev.nncompress.io.onnx.OnnxModels.real;
import static dev.nncompress.io.onnx.OnnxModels.string;

/**
 * Small valid ONNX files (a few KB, unlike the 85-140 KB exported fixtures) that between them use every form
 * the importer maps, for the ONNX fuzz target's seed corpus ({@code fuzz.SeedCorpus}): small inputs mutate
 * and run fast, and each reaches the mappers the fuzzer should vary. {@code OnnxOpMappingTest} checks two of them
 * against ONNX Runtime.
 */
public final class OnnxSeeds {
    private OnnxSeeds() {}

    /** Conv with SAME padding and a bias Add, ReLU, padded max and average pools, Flatten, Gemm (alpha, beta, transB 0), MatMul + Add. */
    public static byte[] denseForms() { return denseFormsModel().build().toByteArray(); }

    /** {@link #denseForms}'s model, input [N, 2, 9, 9]: (9 + 2 - 3) % 2 == 0, so the max pool's ceil_mode 1 gives the floor size and maps exactly. */
    static OnnxModels denseFormsModel() {
        return new OnnxModels(1).input("x", 2, 9, 9)
                .weight("c1.weight", 0.4f, 4, 2, 3, 3)
                .node("Conv", "c1", in("x", "c1.weight"), "a", string("auto_pad", "SAME_UPPER"), ints("kernel_shape", 3, 3))
                .weight("c1_bias", 0.3f, 1, 4, 1, 1)
                .node("Add", "c1_add", in("a", "c1_bias"), "b")
                .node("Relu", "r1", in("b"), "c")
                .node("MaxPool", "mp", in("c"), "d", ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1), integer("ceil_mode", 1))
                .node("AveragePool", "ap", in("d"), "e", ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1), integer("count_include_pad", 0))
                .node("Flatten", "fl", in("e"), "f", integer("axis", 1))
                .weight("g.w", 0.2f, 100, 12) // [in, out]: transB 0
                .weight("g.c", 0.1f, 1, 12)
                .node("Gemm", "g", in("f", "g.w", "g.c"), "h", real("alpha", 0.5f), real("beta", 2f))
                .weight("mm.w", 0.3f, 12, 5)
                .weight("mm.b", 0.1f, 5)
                .node("MatMul", "mm", in("h", "mm.w"), "i")
                .node("Add", "mm_add", in("mm.b", "i"), "y")
                .output("y");
    }

    /** Conv without bias, BatchNormalization, Dropout and Identity (removed), a residual Add, GlobalAveragePool, Flatten, Gemm (transB 1); opset 13. */
    public static byte[] residualBlock() {
        return new OnnxModels(2).opset(13).input("x", 3, 5, 5)
                .weight("conv.weight", 0.3f, 3, 3, 3, 3)
                .node("Conv", "conv", in("x", "conv.weight"), "c", ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1), ints("strides", 1, 1))
                .weight("bn.weight", 1f, 3).weight("bn.bias", 0.5f, 3).weight("bn.running_mean", 0.3f, 3).weight("bn.running_var", new float[] {0.5f, 1.5f, 2f}, 3)
                .node("BatchNormalization", "bn", in("c", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"), "a", real("epsilon", 1e-3f))
                .weight("ratio", new float[] {0.3f})
                .boolInit("train", false)
                .node("Dropout", "drop", in("a", "ratio", "train"), "b")
                .node("Identity", "id", in("b"), "d")
                .node("Add", "res", in("d", "x"), "e")
                .node("GlobalAveragePool", "gap", in("e"), "p")
                .node("Flatten", "fl", in("p"), "f")
                .weight("fc.weight", 0.3f, 4, 3).weight("fc.bias", 0.1f, 4)
                .node("Gemm", "fc", in("f", "fc.weight", "fc.bias"), "y", integer("transB", 1))
                .output("y").build().toByteArray();
    }

    /** PyTorch's {@code x.view(x.size(0), -1)} at opset 11: Shape, Gather, Unsqueeze, Concat, Cast, Reshape, folded into a flatten. */
    public static byte[] viewSubgraph() { return viewSubgraphModel(11).build().toByteArray(); }

    /** The view subgraph at {@code opset}: before 13 Unsqueeze takes its axes as an attribute, from 13 as an input. */
    static OnnxModels viewSubgraphModel(int opset) {
        OnnxModels m = new OnnxModels(3).opset(opset).input("x", 2, 4, 4)
                .node("Shape", "sh", in("x"), "s")
                .intInit("zero", new long[] {0})
                .node("Gather", "ga", in("s", "zero"), "n", integer("axis", 0))
                .intInit("minus_one", new long[] {-1}, 1);
        if (opset < 13) {
            m.node("Unsqueeze", "un", in("n"), "n1", ints("axes", 0));
        } else {
            m.intInit("axes0", new long[] {0}, 1).node("Unsqueeze", "un", in("n", "axes0"), "n1");
        }
        m.node("Concat", "cat", in("n1", "minus_one"), "shape", integer("axis", 0))
                .node("Cast", "cast", in("shape"), "shape64", integer("to", DataTypes.INT64))
                .node("Reshape", "rs", in("x", "shape64"), "f")
                .weight("fc.weight", 0.3f, 3, 32).weight("fc.bias", 0.1f, 3)
                .node("Gemm", "fc", in("f", "fc.weight", "fc.bias"), "y", integer("transB", 1))
                .output("y");
        m.graph().getInitializerBuilder(0).clearDims(); // Gather with a scalar index picks a scalar
        return m;
    }
}
