package dev.nncompress.io.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;

import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ONNX Runtime Java on an exported model (its first input, whatever its name), our graph on the same images,
 * and the measure between them ({@link OnnxFixtures#maxRelativeError}).
 */
public final class OrtRun {
    private OrtRun() {}

    /** ONNX Runtime's first output for {@code x} of {@code shape} ([n, C, H, W]) as [n][values per image]. */
    public static float[][] run(ModelProto model, float[] x, long... shape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model.toByteArray(), opts);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 OrtSession.Result r = s.run(Map.of(s.getInputNames().iterator().next(), t))) {
                FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] all = new float[fb.remaining()];
                fb.get(all);
                int n = (int) shape[0], k = all.length / n;
                float[][] rows = new float[n][k];
                for (int i = 0; i < n; i++) System.arraycopy(all, i * k, rows[i], 0, k);
                return rows;
            }
        }
    }

    /** Our logits for {@code n} images {@code x}. */
    public static float[] ours(Graph g, Backend b, float[] x, int n) {
        try (GraphPredictor p = new GraphPredictor(g, b)) {
            return p.logits(x, n);
        }
    }

    /** {@code n} seeded Gaussian images of the graph's input shape. */
    public static float[] images(Graph g, int n, long seed) {
        float[] x = new float[n * g.inputShape().numel()];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        return x;
    }

    public static long[] batchShape(Graph g, int n) {
        int[] d = g.inputShape().dims();
        long[] s = new long[d.length + 1];
        s[0] = n;
        for (int i = 0; i < d.length; i++) s[i + 1] = d[i];
        return s;
    }

    public static float[][] rows(float[] flat, int n) {
        int k = flat.length / n;
        float[][] r = new float[n][k];
        for (int i = 0; i < n; i++) System.arraycopy(flat, i * k, r[i], 0, k);
        return r;
    }
}
