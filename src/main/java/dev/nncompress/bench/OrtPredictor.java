package dev.nncompress.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.nncompress.graph.Predictor;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.tensor.Shape;

import java.nio.FloatBuffer;
import java.util.Map;

/**
 * An ONNX model in ONNX Runtime Java's CPU execution provider, as a {@link Predictor}: images from the heap to logits on
 * the heap, as ours. The session is set up as a user deploying for throughput would: all graph optimisations (ORT fuses
 * conv+ReLU and, on a QDQ model, runs int8 kernels), sequential execution, {@code threads} intra-op threads.
 *
 * <p>The only class of ours that names ONNX Runtime's types: where its jar is absent the first use of this class is a
 * {@link NoClassDefFoundError}, which {@link OrtSideBySide} turns into one line.
 */
final class OrtPredictor implements Predictor {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String input;
    private final String name;
    private final Shape inputShape;

    OrtPredictor(ModelProto model, String name, Shape inputShape, int threads) {
        this.env = OrtEnvironment.getEnvironment();
        this.name = name;
        this.inputShape = inputShape;
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            this.session = env.createSession(model.toByteArray(), opts);
            this.input = session.getInputNames().iterator().next();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime refused our export of " + name + ": " + e.getMessage(), e);
        }
    }

    /** ONNX Runtime's version, e.g. "1.28.0". */
    static String version() { return OrtEnvironment.getEnvironment().getVersion(); }

    @Override public String name() { return name; }

    @Override public Shape inputShape() { return inputShape; }

    @Override
    public float[] logits(float[] images, int n) {
        long[] shape = new long[inputShape.rank() + 1];
        shape[0] = n;
        for (int i = 0; i < inputShape.rank(); i++) shape[i + 1] = inputShape.dim(i);
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(images, 0, n * inputShape.numel()), shape);
             OrtSession.Result r = session.run(Map.of(input, x))) {
            FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] logits = new float[out.remaining()];
            out.get(logits);
            return logits;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the ONNX Runtime session of " + name + ": " + e.getMessage(), e);
        }
    }
}
