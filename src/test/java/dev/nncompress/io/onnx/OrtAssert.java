package dev.nncompress.io.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.nncompress.backend.Backend;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Java-built ONNX model imported and run on our backends beside ONNX Runtime Java on the same random
 * images (input "x"), compared with {@link OnnxFixtures#maxRelativeError} (per image, the largest
 * difference over the largest magnitude of ONNX Runtime's output) against the 1e-4.
 */
final class OrtAssert {
    static final double TOLERANCE = 1e-4;

    private OrtAssert() {}

    /** Imports {@code model} (written to {@code dir}) on each backend and asserts its output is ONNX Runtime's; returns the last import. */
    static OnnxImporter.Imported assertMatches(ModelProto model, Path dir, int n, int c, int h, int w, Backend... backends) throws OrtException {
        float[] x = new float[n * c * h * w];
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        float[][] theirs = onnxRuntime(model, x, n, c, h, w);
        Path file = OnnxModels.write(model, dir.resolve("m.onnx"));
        OnnxImporter.Imported imp = null;
        for (Backend b : backends) {
            imp = OnnxImporter.importFile(file, b);
            float[] ours;
            try (GraphPredictor p = new GraphPredictor(imp.graph(), b)) {
                ours = p.logits(x, n);
            }
            assertEquals(theirs.length * theirs[0].length, ours.length, "output size");
            double err = OnnxFixtures.maxRelativeError(ours, theirs);
            System.out.printf(java.util.Locale.ROOT, "%-10s %-9s max rel error vs ONNX Runtime %.2e%n", imp.graph().name(), b.name(), err);
            assertTrue(err <= TOLERANCE, "max relative error " + err + " vs ONNX Runtime on " + b.name());
        }
        return imp;
    }

    /** ONNX Runtime's output as [n][values per image]. */
    static float[][] onnxRuntime(ModelProto model, float[] x, int n, int c, int h, int w) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model.toByteArray(), opts);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, c, h, w});
                 OrtSession.Result r = s.run(Map.of("x", t))) {
                FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] all = new float[fb.remaining()];
                fb.get(all);
                int k = all.length / n;
                float[][] rows = new float[n][k];
                for (int i = 0; i < n; i++) System.arraycopy(all, i * k, rows[i], 0, k);
                return rows;
            }
        }
    }
}
