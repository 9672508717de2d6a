package dev.nncompress.io.onnx;

import ai.onnxruntime.OrtException;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Node;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static dev.nncompress.io.onnx.OnnxModels.in;
import static dev.nncompress.io.onnx.OnnxModels.integer;
import static dev.nncompress.io.onnx.OnnxModels.ints;
import static dev.nncompress.io.onnx.OnnxModels.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shapes family's ONNX forms (Concat, Reshape / Squeeze / Unsqueeze / Flatten, ReduceMean, the pools'
 * ceil_mode, asymmetric and SAME padding and count_include_pad, Gemm's transA) on models written in Java,
 * each run by ONNX Runtime Java beside our reference and CPU backends on random images: max relative
 * error <= 1e-4, the target. The opset forms of the axes (attribute before 13 / 18, input since)
 * are each imported.
 */
class OnnxShapeOpsTest {
    private static final List<Backend> BACKENDS = List.of(new ReferenceBackend(), new CpuBackend());
    @TempDir Path tmp;

    private static String ops(OnnxImporter.Imported imp) { return imp.graph().nodes().stream().map(Node::op).toList().toString(); }

    /** Imported on each backend, within the tolerance of ONNX Runtime on both ({@link OrtAssert}); an import (their graphs are the same). */
    private OnnxImporter.Imported matches(ModelProto model, int n, int c, int h, int w) throws OrtException {
        return OrtAssert.assertMatches(model, tmp, n, c, h, w, BACKENDS.toArray(Backend[]::new));
    }

    /**
     * A SqueezeNet-like path: conv, a ceil-mode max-pool whose last window overhangs, a fire module's 1x1
     * and 3x3 branches concatenated, a padded average pool counting its padding, ReduceMean over H, W with
     * keepdims, Squeeze to [N, C], Gemm.
     */
    @Test
    void fireModulePathMatchesOnnxRuntime() throws OrtException {
        OnnxModels m = new OnnxModels(21).input("x", 3, 16, 16)
                .weight("conv.weight", 0.3f, 6, 3, 3, 3).weight("conv.bias", 0.1f, 6)
                .node("Conv", "conv", in("x", "conv.weight", "conv.bias"), "a")
                .node("Relu", "r0", in("a"), "b")
                .node("MaxPool", "pool", in("b"), "c", ints("kernel_shape", 3, 3), ints("strides", 2, 2), integer("ceil_mode", 1)) // 14 -> 7
                .weight("e1.weight", 0.4f, 4, 6, 1, 1).weight("e1.bias", 0.1f, 4)
                .node("Conv", "e1", in("c", "e1.weight", "e1.bias"), "d1")
                .node("Relu", "r1", in("d1"), "f1")
                .weight("e3.weight", 0.2f, 5, 6, 3, 3).weight("e3.bias", 0.1f, 5)
                .node("Conv", "e3", in("c", "e3.weight", "e3.bias"), "d3", ints("pads", 1, 1, 1, 1))
                .node("Relu", "r3", in("d3"), "f3")
                .node("Concat", "cat", in("f1", "f3"), "g", integer("axis", 1))
                .node("AveragePool", "avg", in("g"), "h", ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1),
                        integer("count_include_pad", 1))
                .node("ReduceMean", "mean", in("h"), "i", ints("axes", 2, 3), integer("keepdims", 1))
                .intInit("sq_axes", new long[] {2, 3}, 2)
                .node("Squeeze", "sq", in("i", "sq_axes"), "j")
                .weight("fc.weight", 0.3f, 5, 9).weight("fc.bias", 0.1f, 5)
                .node("Gemm", "fc", in("j", "fc.weight", "fc.bias"), "y", integer("transB", 1))
                .output("y");
        OnnxImporter.Imported imp = matches(m.build(), 3, 3, 16, 16);
        assertEquals("[CONV2D, RELU, MAXPOOL2D, CONV2D, RELU, CONV2D, RELU, CONCAT, AVGPOOL2D, GLOBAL_AVGPOOL, FLATTEN, LINEAR]", ops(imp));
        assertEquals(1, imp.graph().node("pool").intAttr("ceil_mode"));
        assertEquals(1, imp.graph().node("avg").intAttr("count_include_pad"));
    }

    /** Reshape to a non-flat target, Unsqueeze and Squeeze at opset 11 (axes attributes), ReduceMean over one axis without keepdims, Flatten at axis 2 after a dim of 1. */
    @Test
    void generalReshapesAndMeansAtOpset11() throws OrtException {
        OnnxModels m = new OnnxModels(22).opset(11).input("x", 4, 6, 5)
                .node("ReduceMean", "m1", in("x"), "a", ints("axes", -1), integer("keepdims", 0)) // [N, 4, 6]
                .intInit("t", new long[] {0, -1, 3, 2}, 4)
                .node("Reshape", "rs", in("a", "t"), "b") // [N, 4, 3, 2]
                .node("Relu", "r", in("b"), "c")
                .node("Unsqueeze", "un", in("c"), "d", ints("axes", 1)) // [N, 1, 4, 3, 2]
                .node("Squeeze", "sq", in("d"), "e", ints("axes", 1))
                .node("ReduceMean", "m2", in("e"), "f", ints("axes", 1)) // keepdims default 1: [N, 1, 3, 2]
                .node("Flatten", "fl", in("f"), "g", integer("axis", 2)) // the dim before it is 1: [N, 6]
                .weight("fc.weight", 0.3f, 6, 3)
                .node("Gemm", "fc", in("g", "fc.weight"), "y")
                .output("y");
        OnnxImporter.Imported imp = matches(m.build(), 2, 4, 6, 5);
        assertEquals("[REDUCE_MEAN, RESHAPE, RELU, RESHAPE, RESHAPE, REDUCE_MEAN, FLATTEN, LINEAR]", ops(imp));
        assertEquals(-1, imp.graph().node("rs").intAttr("dim0"), "the channel dim carried through is inferred");
        assertEquals(1, imp.graph().node("un").intAttr("dim0"));
    }

    /** The same forms at opset 18: Squeeze/Unsqueeze axes (since 13) and ReduceMean axes (since 18) as inputs, noop_with_empty_axes. */
    @Test
    void axesAsInputsAtOpset18() throws OrtException {
        OnnxModels m = new OnnxModels(23).opset(18).input("x", 4, 6, 5)
                .intInit("last", new long[] {-1}, 1)
                .node("ReduceMean", "m1", in("x", "last"), "a", integer("keepdims", 0))
                .intInit("one", new long[] {1}, 1)
                .node("Unsqueeze", "un", in("a", "one"), "b")
                .node("Squeeze", "sq", in("b", "one"), "c")
                .node("ReduceMean", "noop", in("c"), "d", integer("noop_with_empty_axes", 1))
                .intInit("hw", new long[] {2, 3}, 2)
                .node("Unsqueeze", "un2", in("d", "one"), "e") // [N, 1, 4, 6]
                .node("ReduceMean", "gap", in("e", "hw"), "f", integer("keepdims", 0)) // over H, W: a global average pool and a flatten
                .weight("fc.weight", 0.3f, 3, 1)
                .node("Gemm", "fc", in("f", "fc.weight"), "y", integer("transB", 1))
                .output("y");
        OnnxImporter.Imported imp = matches(m.build(), 2, 4, 6, 5);
        assertEquals("[REDUCE_MEAN, RESHAPE, RESHAPE, RESHAPE, GLOBAL_AVGPOOL, FLATTEN, LINEAR]", ops(imp));
        assertTrue(imp.provenance().get("onnx_folded").contains("ReduceMean (no axes, noop)"), imp.provenance().toString());
    }

    /** Concat of three activations on a negative axis; a one-input Concat is dropped. */
    @Test
    void concatOnANegativeAxisAndOfOneInput() throws OrtException {
        OnnxModels m = new OnnxModels(24).input("x", 2, 5, 4)
                .node("Relu", "r", in("x"), "a")
                .node("Concat", "c3", in("x", "a", "x"), "b", integer("axis", -2)) // along H: [N, 2, 15, 4]
                .node("Concat", "c1", in("b"), "c", integer("axis", 1))
                .node("Flatten", "fl", in("c"), "d")
                .weight("fc.weight", 0.2f, 3, 120)
                .node("Gemm", "fc", in("d", "fc.weight"), "y", integer("transB", 1))
                .output("y");
        OnnxImporter.Imported imp = matches(m.build(), 2, 2, 5, 4);
        assertEquals("[RELU, CONCAT, FLATTEN, LINEAR]", ops(imp));
        assertEquals(1, imp.graph().node("c3").intAttr("axis"));
    }

    /** SAME padding whose total is odd (SAME_UPPER and SAME_LOWER put the extra pad at opposite ends), explicit asymmetric pads, ceil_mode. */
    @Test
    void poolsWithSameAsymmetricAndCeilWindows() throws OrtException {
        OnnxModels m = new OnnxModels(25).input("x", 3, 10, 9)
                .node("MaxPool", "up", in("x"), "a", ints("kernel_shape", 2, 2), ints("strides", 2, 2), string("auto_pad", "SAME_UPPER")) // 5x5
                .node("AveragePool", "low", in("a"), "b", ints("kernel_shape", 2, 3), string("auto_pad", "SAME_LOWER"))
                .node("MaxPool", "asym", in("b"), "c", ints("kernel_shape", 3, 2), ints("strides", 2, 1), ints("pads", 2, 0, 1, 1), integer("ceil_mode", 1))
                .node("AveragePool", "incl", in("c"), "d", ints("kernel_shape", 2, 2), ints("pads", 1, 0, 0, 1), integer("count_include_pad", 1))
                // ceil mode would give a 4th column whose window starts in the end padding: the rule drops it (ONNX
                // Runtime's kernel does too; its shape inference, older than onnx#5741, warns that it expected 4)
                .node("AveragePool", "excl", in("d"), "e", ints("kernel_shape", 2, 2), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1), integer("ceil_mode", 1))
                .node("Flatten", "fl", in("e"), "y")
                .output("y");
        OnnxImporter.Imported imp = matches(m.build(), 2, 3, 10, 9);
        Node up = imp.graph().node("up"), low = imp.graph().node("low");
        assertEquals(0, up.intAttr("pad_w"));
        assertEquals(1, up.intAttr("pad_right"), "SAME_UPPER pads the odd one at the end");
        assertEquals(1, low.intAttr("pad_h"), "SAME_LOWER pads the odd one at the start");
        assertEquals(0, low.intAttr("pad_bottom"));
        assertEquals(1, imp.graph().node("asym").intAttr("ceil_mode"));
        assertTrue(!imp.graph().node("incl").attrs().containsKey("ceil_mode"));
    }

    /**
     * AveragePool-19 with ceil_mode and count_include_pad where the last window runs past the end padding:
     * ONNX Runtime's opset-19 kernel divides it as PyTorch does (by its part inside the padded input), ours too.
     */
    @Test
    void ceilModeCountIncludePadAtOpset19() throws OrtException {
        OnnxModels m = new OnnxModels(26).opset(19).input("x", 2, 8, 9)
                .node("AveragePool", "p", in("x"), "a", ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1),
                        integer("ceil_mode", 1), integer("count_include_pad", 1))
                .node("Flatten", "fl", in("a"), "y")
                .output("y");
        OnnxImporter.Imported imp = matches(m.build(), 2, 2, 8, 9);
        assertEquals(1, imp.graph().node("p").intAttr("ceil_mode"));
    }

    /** Gemm with a constant A: a batch-1 export's one-row A times B^T is a Linear; transA on the activation is refused elsewhere. */
    @Test
    void constantATimesActivationOfABatchOneExport() throws OrtException {
        OnnxModels m = new OnnxModels(27).fixedBatchInput("x", 1, 2, 3, 3)
                .node("Flatten", "fl", in("x"), "f")
                .weight("a", 0.3f, 18, 1) // transA: A^T is [1, 18]
                .weight("c", 0.1f, 1)
                .node("Gemm", "g", in("a", "f", "c"), "y", integer("transA", 1), integer("transB", 1), OnnxModels.real("alpha", 0.5f))
                .output("y");
        OnnxImporter.Imported imp = matches(m.build(), 1, 2, 3, 3);
        assertEquals("[FLATTEN, LINEAR]", ops(imp));
    }
}
