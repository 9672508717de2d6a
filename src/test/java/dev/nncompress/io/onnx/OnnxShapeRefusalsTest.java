package dev.nncompress.io.onnx;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.io.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.function.Consumer;

import static dev.nncompress.io.onnx.OnnxModels.in;
import static dev.nncompress.io.onnx.OnnxModels.integer;
import static dev.nncompress.io.onnx.OnnxModels.ints;
import static dev.nncompress.io.onnx.OnnxModels.string;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the shapes family's mappings refuse, each with one line naming the file, the node and why: the
 * batch moved, merged or averaged (Concat / ReduceMean on axis 0, a Reshape that merges it, Flatten at
 * axis 0 or across dims, Squeeze / Unsqueeze at 0), means over axes with gaps, pools whose pads reach the
 * window or whose windows are dilated, and Gemm's transA on the activation or a constant A.
 */
class OnnxShapeRefusalsTest {
    @TempDir Path tmp;

    private void refused(String phrase, Consumer<OnnxModels> body) {
        OnnxModels m = new OnnxModels(9).input("x", 2, 4, 6);
        body.accept(m);
        m.output("y");
        Path file = m.write(tmp.resolve("refused.onnx"));
        String msg = assertThrows(ModelFormatException.class, () -> OnnxImporter.importFile(file, new ReferenceBackend()), phrase).getMessage();
        assertTrue(msg.startsWith(file + ": node "), "names the file, then the node: " + msg);
        assertFalse(msg.contains("\n"), "one line: " + msg);
        assertTrue(msg.contains(phrase), "'" + phrase + "' in: " + msg);
    }

    @Test
    void theBatchStaysFirstAndWhole() {
        refused("concatenates along axis 0, the batch", m -> m.node("Concat", "c", in("x", "x"), "y", integer("axis", 0)));
        refused("concatenates along axis 0, the batch", m -> m.node("Concat", "c", in("x", "x"), "y", integer("axis", -4)));
        refused("concatenates the constant 'w' with activations", m -> m.weight("w", 0.1f, 1, 2, 4, 6).node("Concat", "c", in("x", "w"), "y", integer("axis", 1)));
        refused("input 2 [N, 6, 4, 6] does not match input 1 [N, 2, 4, 6] outside axis 2",
                m -> m.node("Concat", "c1", in("x", "x", "x"), "a", integer("axis", 1)).node("Concat", "c", in("x", "a"), "y", integer("axis", 2)));
        refused("which moves or merges the batch dim", m -> m.intInit("t", new long[] {-1, 24}, 2).node("Reshape", "r", in("x", "t"), "y"));
        refused("which moves or merges the batch dim", m -> m.intInit("t", new long[] {2, -1}, 2).node("Reshape", "r", in("x", "t"), "y"));
        refused("flattens [N, 2, 4, 6] at axis 0, which merges the batch dim", m -> m.node("Flatten", "f", in("x"), "y", integer("axis", 0)));
        refused("flattens [N, 2, 4, 6] at axis 2, which merges the batch dim", m -> m.node("Flatten", "f", in("x"), "y", integer("axis", 2)));
        refused("squeezes axis 0, the batch", m -> m.opset(11).node("Squeeze", "s", in("x"), "y", ints("axes", 0)));
        refused("axis 1 of [N, 2, 4, 6] has size 2, not 1", m -> m.opset(11).node("Squeeze", "s", in("x"), "y", ints("axes", 1)));
        refused("inserts a dim at axis 0, before the batch", m -> m.intInit("a", new long[] {0}, 1).node("Unsqueeze", "u", in("x", "a"), "y"));
    }

    @Test
    void meansOverTheBatchOrAxesWithGaps() {
        refused("averages over axis 0, the batch", m -> m.node("ReduceMean", "r", in("x"), "y", ints("axes", 0, 1)));
        refused("averages over every axis, the batch included", m -> m.node("ReduceMean", "r", in("x"), "y"));
        refused("averages over every axis, the batch included", m -> m.opset(18).node("ReduceMean", "r", in("x"), "y"));
        refused("averages over axes [1, 3] of [N, 2, 4, 6], which are not consecutive", m -> m.node("ReduceMean", "r", in("x"), "y", ints("axes", 1, 3)));
        refused("over every per-sample axis without keepdims, to [N]", m -> m.node("ReduceMean", "r", in("x"), "y", ints("axes", 1, 2, 3), integer("keepdims", 0)));
        refused("has attribute 'axes', which this importer does not read", m -> m.opset(18).node("ReduceMean", "r", in("x"), "y", ints("axes", 2, 3)));
    }

    @Test
    void poolWindowsOursCannotTake() {
        refused("a pad of the window's size or more", m -> m.node("MaxPool", "p", in("x"), "y", ints("kernel_shape", 2, 2), ints("pads", 0, 0, 2, 0)));
        refused("has dilations 2x2; dilated pooling windows are not supported",
                m -> m.node("MaxPool", "p", in("x"), "y", ints("kernel_shape", 2, 2), ints("dilations", 2, 2)));
        refused("a SAME window smaller than its stride is not supported",
                m -> m.node("MaxPool", "p", in("x"), "y", ints("kernel_shape", 1, 1), ints("strides", 3, 3), string("auto_pad", "SAME_UPPER")));
        refused("count_include_pad 2 is not 0 or 1", m -> m.node("AveragePool", "p", in("x"), "y", ints("kernel_shape", 2, 2), integer("count_include_pad", 2)));
        refused("on a 4x6 input: window 7", m -> m.node("AveragePool", "p", in("x"), "y", ints("kernel_shape", 7, 2)));
    }

    @Test
    void gemmThatWouldTransposeTheBatch() {
        refused("has transA 1 on the activation A: A^T is [features, N]", m -> m.node("Flatten", "f", in("x"), "a").weight("w", 0.1f, 3, 48)
                .node("Gemm", "g", in("a", "w"), "y", integer("transA", 1), integer("transB", 1)));
        refused("multiplies the constant A 'w' by the activation B (transA 0, transB 0), which puts B's batch dim second or sums over it",
                m -> m.node("Flatten", "f", in("x"), "a").weight("w", 0.1f, 3, 5).node("Gemm", "g", in("w", "a"), "y"));
        refused("multiplies the constant A 'w' by the activation B (transA 0, transB 1)",
                m -> m.node("Flatten", "f", in("x"), "a").weight("w", 0.1f, 1, 48).node("Gemm", "g", in("w", "a"), "y", integer("transB", 1)));
    }
}
