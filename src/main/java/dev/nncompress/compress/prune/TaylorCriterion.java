package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * First-order Taylor importance |w * g|, g = dL/dw of the mean cross-entropy over the calibration images
 * (gradients accumulated over the calibration batches, then divided by their number): setting w to 0
 * changes the calibration loss by about -g*w, so |g*w| is the first-order estimate of the damage
 * (Molchanov et al. 2016). On a converged model g is small and noisy, which is why this criterion needs
 * enough calibration images to be meaningful.
 *
 * <p>The backward passes run in training mode (the only mode with a backward), so batch norm would move its
 * running statistics and dropout would drop: the buffers are restored afterwards, so the graph is unchanged.
 */
public final class TaylorCriterion implements ImportanceCriterion {
    private static final long SEED = 0x7a7107L; // dropout masks of the calibration passes
    private final Calibration calib;

    public TaylorCriterion(Calibration calib) { this.calib = calib; }

    @Override public String name() { return "taylor"; }

    @Override
    public Map<String, float[]> scores(Graph graph, PruneTargets targets) {
        Backend backend = calib.backend();
        for (Parameter p : graph.trainableParams()) {
            if (p.grad() != null) throw new IllegalStateException("parameter " + p.name() + " already holds a gradient; Taylor scores need a clean graph");
        }
        Map<String, float[]> buffers = new HashMap<>();
        for (Parameter p : graph.params().values()) if (!p.trainable()) buffers.put(p.name(), p.value().toFloatArray());
        int batches = 0;
        try {
            for (BatchIterator it = Batches.of(calib.data(), calib.batchSize()).epoch(0); it.hasNext(); batches++) {
                Batch b = it.next();
                try (GraphRunner run = new GraphRunner(Logits.of(graph), backend, true, SEED + batches); // the loss of logits, as training's
                     Tensor x = backend.fromFloats(b.images(), Shape.of(b.size(), b.channels(), b.height(), b.width()))) {
                    LossResult l = backend.softmaxCrossEntropy(run.forward(x), b.labels());
                    try (Tensor g = l.gradLogits()) {
                        run.backward(g);
                    }
                }
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            for (String name : targets.weights()) {
                Parameter p = graph.param(name);
                float[] w = p.value().toFloatArray();
                float[] g = p.grad() == null ? new float[w.length] : p.grad().toFloatArray();
                for (int i = 0; i < w.length; i++) w[i] = Math.abs(w[i] * (g[i] / batches));
                out.put(name, w);
            }
            return out;
        } finally {
            for (Parameter p : graph.trainableParams()) p.clearGrad();
            for (var e : buffers.entrySet()) {
                Parameter p = graph.param(e.getKey());
                Backend owner = Backend.of(p.value());
                try (Tensor saved = owner.fromFloats(e.getValue(), p.value().shape())) {
                    owner.copyInto(saved, p.value());
                }
            }
        }
    }
}
