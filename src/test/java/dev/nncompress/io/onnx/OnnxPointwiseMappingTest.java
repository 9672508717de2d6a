package dev.nncompress.io.onnx;

import ai.onnxruntime.OrtException;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pointwise ONNX ops in each form this importer accepts, on small models written in Java and run by
 * ONNX Runtime beside our reference backend (the whole model in {@link OnnxPointwiseModelTest} also on the
 * CPU backend): Clip's optional constant bounds (and Clip(0) as Relu), the activations' attributes and
 * defaults, Add/Sub/Mul/Div broadcasting two activations or an activation and a constant on either side
 * (constants folded when both are), Softmax at opsets 11 and 13; and the forms refused, by name.
 */
class OnnxPointwiseMappingTest {
    private static Backend ref;
    @TempDir Path tmp;

    @BeforeAll static void open() { ref = new ReferenceBackend(); }

    @AfterAll static void close() { ref.close(); }

    private OnnxImporter.Imported matches(ModelProto m, int c, int h, int w) throws OrtException {
        return OrtAssert.assertMatches(m, tmp, 3, c, h, w, ref);
    }

    private static String ops(Graph g) { return g.nodes().stream().map(Node::op).toList().toString(); }

    @Test
    void clipBoundsAsOptionalConstantInputsAtOpsets11And13() throws OrtException {
        for (int opset : new int[] {11, 13}) {
            OnnxModels m = new OnnxModels(1).opset(opset).input("x", 2, 3, 3)
                    .weight("zero", new float[] {0f}).weight("six", new float[] {6f}).weight("lo", new float[] {-5.8f}, 1).weight("hi", new float[] {0.4f})
                    .weight("mid", new float[] {0.3f})
                    .node("Mul", "scale", in("x", "six"), "a")                 // values across both bounds of ReLU6
                    .node("Clip", "relu6", in("a", "zero", "six"), "b")        // [0, 6]
                    .node("Clip", "upper", in("b", "", "hi"), "c")             // max only: [0, 0.4]
                    .node("Sub", "shift", in("c", "six"), "d")                 // [-6, -5.6]
                    .node("Clip", "lower", in("d", "lo"), "e")                 // min only: [-5.8, -5.6]
                    .node("Clip", "none", in("e"), "f")                        // no bounds: the identity
                    .node("Add", "back", in("f", "six"), "g")                  // [0.2, 0.4]
                    .node("Sub", "centre", in("g", "mid"), "h")                // [-0.1, 0.1]
                    .node("Clip", "relu", in("h", "zero"), "y")                // min 0 alone: Relu
                    .output("y");
            OnnxImporter.Imported imp = matches(m.build(), 2, 3, 3);
            assertEquals("[MUL, CLIP, CLIP, SUB, CLIP, CLIP, ADD, SUB, RELU]", ops(imp.graph()), "opset " + opset);
            Node relu6 = imp.graph().node("relu6");
            assertEquals(0.0, relu6.attr("min", 1));
            assertEquals(6.0, relu6.attr("max", 0));
            assertFalse(imp.graph().node("upper").attrs().containsKey("min"));
            assertFalse(imp.graph().param("scale.constant").trainable(), "a constant operand is a buffer");
        }
    }

    @Test
    void activationsWithTheirAttributesAndDefaults() throws OrtException {
        OnnxModels m = new OnnxModels(2).opset(14).input("x", 2, 3, 3)
                .weight("four", new float[] {4f})
                .node("Mul", "wide", in("x", "four"), "w")
                .node("LeakyRelu", "lr_default", in("w"), "a")
                .node("LeakyRelu", "lr", in("a"), "b", real("alpha", 0.3f))
                .node("HardSigmoid", "hsig_default", in("b"), "c")
                .node("HardSigmoid", "hsig", in("w"), "d", real("alpha", 0.25f), real("beta", 0.6f))
                .node("Add", "cd", in("c", "d"), "e")
                .node("HardSwish", "hswish", in("w"), "f")
                .node("Sigmoid", "sig", in("f"), "g")
                .node("Tanh", "tanh", in("g"), "h")
                .node("Mul", "eh", in("e", "h"), "y")
                .output("y");
        OnnxImporter.Imported imp = matches(m.build(), 2, 3, 3);
        assertEquals("[MUL, LEAKY_RELU, LEAKY_RELU, HARD_SIGMOID, HARD_SIGMOID, ADD, HARD_SWISH, SIGMOID, TANH, MUL]", ops(imp.graph()));
        assertEquals(0.01f, (float) imp.graph().node("lr_default").attr("alpha", 0), 0f);
        assertEquals(0.25f, (float) imp.graph().node("hsig").attr("alpha", 0), 0f);
    }

    @Test
    void arithmeticBroadcastsActivationsAndConstantsOnEitherSide() throws OrtException {
        OnnxModels m = new OnnxModels(3).input("x", 4, 3, 3)
                .node("GlobalAveragePool", "gap", in("x"), "g")
                .node("Mul", "se", in("x", "g"), "a")                              // [N, 4, 3, 3] * [N, 4, 1, 1]
                .weight("mean", 0.5f, 4, 1, 1).weight("std", new float[] {0.5f, 1f, 2f, 4f}, 1, 4, 1, 1)
                .node("Sub", "sub", in("a", "mean"), "b")
                .node("Div", "div", in("b", "std"), "c")
                .weight("k", new float[] {2f})                                      // rank 0
                .node("Sub", "rsub", in("k", "c"), "d")                             // constant first
                .weight("row", 0.3f, 3)                                             // along W
                .node("Add", "add_row", in("row", "d"), "e")
                .weight("one", new float[] {1.5f}, 1)
                .node("Div", "rdiv", in("one", "g"), "f")                           // 1.5 / [N, 4, 1, 1]
                .node("Div", "grow", in("f", "e"), "y")                             // [N, 4, 1, 1] / [N, 4, 3, 3]
                .output("y");
        OnnxImporter.Imported imp = matches(m.build(), 4, 3, 3);
        Graph g = imp.graph();
        assertEquals("[GLOBAL_AVGPOOL, MUL, SUB, DIV, SUB, ADD, DIV, DIV]", ops(g));
        assertEquals(1.0, g.node("rsub").attr("constant_first", 0));
        assertEquals(0.0, g.node("add_row").attr("constant_first", 0), "Add commutes: the constant goes second");
        assertEquals(1, g.param("rsub.constant").value().shape().rank(), "a rank-0 constant is stored as [1]");
        assertEquals("std", imp.provenance().get("onnx_names").contains("\"div.constant\":\"std\"") ? "std" : imp.provenance().get("onnx_names"));
        assertEquals(2, g.node("grow").inputs().size());
    }

    @Test
    void constantsOnBothSidesAreFoldedFloatsAndShapes() throws OrtException {
        OnnxModels m = new OnnxModels(4).input("x", 2, 4, 4)
                .weight("a", new float[] {1f, 2f}, 2, 1, 1).weight("b", new float[] {4f})
                .node("Div", "half", in("a", "b"), "ab")                            // folded: [0.25, 0.5]
                .node("Mul", "mul", in("x", "ab"), "s")
                .node("Shape", "sh", in("s"), "shape")
                .intInit("idx", new long[] {1})
                .node("Gather", "ga", in("shape", "idx"), "c")                      // 2 (channels)
                .intInit("hw", new long[] {16}, 1)
                .node("Mul", "chw", in("c", "hw"), "features")                      // 32, folded on integers
                .intInit("minus_one", new long[] {-1}, 1)
                .node("Concat", "cat", in("minus_one", "features"), "target", integer("axis", 0))
                .node("Reshape", "rs", in("s", "target"), "y")
                .output("y");
        m.graph().getInitializerBuilder(2).clearDims(); // the index a scalar, so Gather gives a scalar
        OnnxImporter.Imported imp = matches(m.build(), 2, 4, 4);
        assertEquals("[MUL, FLATTEN]", ops(imp.graph()));
        assertTrue(imp.folded().containsKey("Div") && imp.folded().containsKey("Mul"), imp.folded().toString());
        float[] k = imp.graph().param("mul.constant").value().toFloatArray();
        assertEquals(0.25f, k[0]);
        assertEquals(0.5f, k[1]);
    }

    @Test
    void softmaxAtOpset13AlongAnyAxisAndAtOpset11InTheCoercedFormItMaps() throws OrtException {
        OnnxModels m13 = new OnnxModels(5).opset(13).input("x", 3, 2, 4)
                .node("Softmax", "sm_c", in("x"), "a", integer("axis", 1))
                .node("Softmax", "sm_last", in("a"), "y")
                .output("y");
        OnnxImporter.Imported imp = matches(m13.build(), 3, 2, 4);
        assertEquals(1.0, imp.graph().node("sm_c").attr("axis", 0));
        assertEquals(3.0, imp.graph().node("sm_last").attr("axis", 0), "-1 of [N, 3, 2, 4]");
        OnnxModels m11 = new OnnxModels(6).opset(11).input("x", 5, 1, 1)
                .node("Softmax", "sm_gap", in("x"), "a")                          // default axis 1: dims 1..3 jointly, only C > 1
                .node("Flatten", "fl", in("a"), "f")
                .node("Softmax", "sm_logits", in("f"), "y")                       // [N, 5]: the classifier's
                .output("y");
        imp = matches(m11.build(), 5, 1, 1);
        assertEquals("[SOFTMAX, FLATTEN, SOFTMAX]", ops(imp.graph()));
    }

    @Test
    void unmappableFormsAreRefusedByName() {
        refused(new OnnxModels(7).opset(11).input("x", 3, 2, 4).node("Softmax", "sm", in("x"), "y").output("y"),
                "node 'sm' (Softmax) (opset 11) normalises [N, 3, 2, 4] jointly over dims 1 to 3");
        refused(new OnnxModels(7).input("x", 3, 2, 4).node("Softmax", "sm", in("x"), "y", integer("axis", 0)).output("y"), "the batch dim");
        refused(new OnnxModels(7).input("x", 3, 2, 4).node("GlobalAveragePool", "g", in("x"), "m").node("Clip", "c", in("x", "m"), "y").output("y"),
                "min is computed from the image");
        refused(new OnnxModels(7).input("x", 3, 2, 4).weight("two", new float[] {1, 2}, 2).node("Clip", "c", in("x", "two"), "y").output("y"),
                "must be one FLOAT value");
        refused(new OnnxModels(7).input("x", 3, 2, 4).weight("k", 1f, 2, 3, 1, 1).node("Mul", "m", in("x", "k"), "y").output("y"),
                "would broadcast over the batch");
        refused(new OnnxModels(7).input("x", 3, 2, 4).node("Flatten", "f", in("x"), "a").node("Add", "add", in("a", "x"), "y").output("y"),
                "two computed inputs must have the same rank");
        refused(new OnnxModels(7).input("x", 3, 2, 4).weight("k", 1f, 3, 1, 2).node("Div", "d", in("x", "k"), "y").output("y"), "do not broadcast");
        refused(new OnnxModels(7).input("x", 3, 2, 4).weight("z", new float[] {0f}).weight("o", new float[] {1f})
                .node("Div", "d", in("o", "z"), "k").node("Mul", "m", in("x", "k"), "y").output("y"), "folds to Infinity");
    }

    private void refused(OnnxModels m, String mention) {
        Path f = OnnxModels.write(m.build(), tmp.resolve("bad.onnx"));
        String msg = assertThrows(ModelFormatException.class, () -> OnnxImporter.importFile(f, ref)).getMessage();
        assertTrue(msg.contains(mention), msg);
        assertTrue(msg.startsWith(f.toString()), msg);
    }
}
