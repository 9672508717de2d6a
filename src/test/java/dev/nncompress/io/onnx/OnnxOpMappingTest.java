package dev.nncompress.io.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.nncompress.io.onnx.OnnxModels.in;
import static dev.nncompress.io.onnx.OnnxModels.integer;
import static dev.nncompress.io.onnx.OnnxModels.real;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mapping of each ONNX attribute form this slice accepts, on small models written in Java and run
 * by ONNX Runtime Java beside our reference backend on random images: SAME padding, exact ceil_mode,
 * padded average pools, Gemm's transB/alpha/beta, MatMul + Add, bias Adds after Conv, BatchNorm's
 * epsilon and momentum, Dropout's opset-12 inputs, and the Reshape targets that are a flatten.
 */
class OnnxOpMappingTest {
    private static final double TOLERANCE = 1e-4;
    private final Backend ref = new ReferenceBackend();
    @TempDir Path tmp;

    @Test
    void convPoolsAndDenseLayersInEveryAcceptedForm() throws OrtException {
        OnnxModels m = OnnxSeeds.denseFormsModel(); // also a seed of the ONNX fuzz target
        OnnxImporter.Imported imp = assertMatchesOnnxRuntime(m.build(), 2, 9, 9);
        assertEquals("[CONV2D, RELU, MAXPOOL2D, AVGPOOL2D, FLATTEN, LINEAR, LINEAR]", imp.graph().nodes().stream().map(Node::op).toList().toString());
        assertTrue(imp.graph().params().containsKey("c1.bias"), "the Add after the Conv became its bias");
        assertTrue(imp.graph().params().containsKey("mm.bias"), "the Add after the MatMul became its bias");
        assertEquals(1, imp.graph().node("c1").intAttr("pad_h"));
    }

    @Test
    void batchNormDropoutIdentityAndResidualAdd() throws OrtException {
        float[] var = {0.5f, 1.5f, 2f};
        OnnxModels m = new OnnxModels(2).opset(13).input("x", 3, 5, 5)
                .weight("bn.weight", 1f, 3).weight("bn.bias", 0.5f, 3).weight("bn.running_mean", 0.3f, 3).weight("bn.running_var", var, 3)
                .node("BatchNormalization", "bn", in("x", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"), "a",
                        real("epsilon", 1e-3f), real("momentum", 0.8f))
                .weight("ratio", new float[] {0.3f})
                .boolInit("train", false)
                .node("Dropout", "drop", in("a", "ratio", "train"), "b")
                .node("Identity", "id", in("b"), "c")
                .node("Add", "res", in("c", "x"), "d")
                .node("GlobalAveragePool", "gap", in("d"), "y")
                .output("y");
        OnnxImporter.Imported imp = assertMatchesOnnxRuntime(m.build(), 3, 5, 5);
        Node bn = imp.graph().node("bn");
        assertEquals(OpType.BATCHNORM2D, bn.op());
        assertEquals(1e-3f, (float) bn.attr("eps", 0), 0f);
        assertEquals(0.2, bn.attr("momentum", 0), 1e-6, "ONNX momentum weighs the old value, ours the new one");
        assertEquals("{Dropout (removed)=1, Identity (removed)=1}", imp.folded().toString());
    }

    /** PyTorch's x.view(x.size(0), -1) subgraph at opset 11 (Unsqueeze axes as an attribute) and at 13 (as an input). */
    @Test
    void shapeSubgraphsFoldToAFlattenAtOpsets11And13() throws OrtException {
        for (int opset : new int[] {11, 13}) {
            OnnxModels m = OnnxSeeds.viewSubgraphModel(opset); // at 11 also a seed of the ONNX fuzz target
            OnnxImporter.Imported imp = assertMatchesOnnxRuntime(m.build(), 2, 4, 4);
            assertEquals("[FLATTEN, LINEAR]", imp.graph().nodes().stream().map(Node::op).toList().toString(), "opset " + opset);
            assertTrue(imp.provenance().get("onnx_folded").contains("Reshape (as flatten)"), imp.provenance().toString());
        }
    }

    @Test
    void reshapeTargetsThatAreAFlattenAndOneThatKeepsTheShape() throws OrtException {
        long[][] targets = {{0, -1}, {-1, 32}, {0, 2, 4, 4}};
        for (long[] t : targets) {
            OnnxModels m = new OnnxModels(4).input("x", 2, 4, 4)
                    .intInit("target", t, t.length)
                    .node("Reshape", "rs", in("x", "target"), "f")
                    .node("Relu", "r", in("f"), "g")
                    .node("Flatten", "fl", in("g"), "h")
                    .weight("fc.weight", 0.3f, 3, 32)
                    .node("Gemm", "fc", in("h", "fc.weight"), "y", integer("transB", 1))
                    .output("y");
            assertMatchesOnnxRuntime(m.build(), 2, 4, 4);
        }
    }

    /** An export with the batch fixed at 1 folds x.view(1, -1) to Reshape [1, -1]: the 1 is that batch, and ours runs any batch. */
    @Test
    void aFixedBatchOfOneReshapesAsAFlatten() throws OrtException {
        OnnxModels m = new OnnxModels(6).fixedBatchInput("x", 1, 2, 3, 3)
                .intInit("target", new long[] {1, -1}, 2)
                .node("Reshape", "rs", in("x", "target"), "f")
                .weight("fc.weight", 0.3f, 4, 18)
                .node("Gemm", "fc", in("f", "fc.weight"), "y", integer("transB", 1))
                .output("y");
        OnnxImporter.Imported imp = assertMatchesOnnxRuntime(m.build(), 1, 2, 3, 3);
        try (GraphPredictor p = new GraphPredictor(imp.graph(), ref)) {
            assertEquals(4 * 5, p.logits(new float[5 * 18], 5).length, "runs at batch 5");
        }
    }

    private OnnxImporter.Imported assertMatchesOnnxRuntime(ModelProto model, int c, int h, int w) throws OrtException {
        return assertMatchesOnnxRuntime(model, 3, c, h, w);
    }

    private OnnxImporter.Imported assertMatchesOnnxRuntime(ModelProto model, int n, int c, int h, int w) throws OrtException {
        float[] x = new float[n * c * h * w];
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        Path file = OnnxModels.write(model, tmp.resolve("m.onnx"));
        OnnxImporter.Imported imp = OnnxImporter.importFile(file, ref);
        float[] ours;
        try (GraphPredictor p = new GraphPredictor(imp.graph(), ref)) {
            ours = p.logits(x, n);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] theirs;
        try (OrtSession s = env.createSession(model.toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, c, h, w});
             OrtSession.Result r = s.run(Map.of("x", t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            theirs = new float[fb.remaining()];
            fb.get(theirs);
        }
        assertEquals(theirs.length, ours.length, "output size");
        int k = theirs.length / n;
        float[][] rows = new float[n][k];
        for (int i = 0; i < n; i++) System.arraycopy(theirs, i * k, rows[i], 0, k);
        double err = OnnxFixtures.maxRelativeError(ours, rows);
        assertTrue(err <= TOLERANCE, "max relative error " + err + " vs ONNX Runtime");
        return imp;
    }
}
