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

/**
 * One ONNX model imported and run on our backend beside ONNX Runtime Java on the same seeded random
 * images (input "x" [n, c, h, w]); the measure of the difference ({@link OnnxFixtures#maxRelativeError}).
 */
final class OrtComparison {
    private OrtComparison() {}

    record Result(OnnxImporter.Imported imported, double maxRelativeError) {}

    static Result run(ModelProto model, Path file, Backend backend, int n, int c, int h, int w) throws OrtException {
        float[] x = new float[n * c * h * w];
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        OnnxModels.write(model, file);
        OnnxImporter.Imported imp = OnnxImporter.importFile(file, backend);
        float[] ours;
        try (GraphPredictor p = new GraphPredictor(imp.graph(), backend)) {
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
        if (theirs.length != ours.length) throw new AssertionError("output size: ours " + ours.length + ", ONNX Runtime's " + theirs.length);
        int k = theirs.length / n;
        float[][] rows = new float[n][k];
        for (int i = 0; i < n; i++) System.arraycopy(theirs, i * k, rows[i], 0, k);
        return new Result(imp, OnnxFixtures.maxRelativeError(ours, rows));
    }
}
