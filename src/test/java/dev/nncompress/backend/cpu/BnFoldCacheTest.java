package dev.nncompress.backend.cpu;

import dev.nncompress.backend.LossResult;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.Optimizer;
import dev.nncompress.train.OptimizerConfig;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Batch-norm inference caches its folded scale and shift ({@link BnScaleShift}) on the parameters' storage;
 * every in-place write must retire the cache: the output after a write equals the output of fresh tensors
 * holding the same values (bit for bit: the fold is the same arithmetic), and differs from the one before.
 */
class BnFoldCacheTest {
    private static final CpuBackend B = new CpuBackend();
    private static final int C = 5;

    @Test
    void everyInPlaceWriteRetiresTheFold() {
        Random r = new Random(17);
        Tensor x = B.fromFloats(random(r, 2 * C * 9, 0), Shape.of(2, C, 3, 3));
        Tensor[] p = {B.fromFloats(random(r, C, 1), Shape.of(C)), B.fromFloats(random(r, C, 0), Shape.of(C)),
            B.fromFloats(random(r, C, 0), Shape.of(C)), null}; // gamma, beta, mean, var
        p[3] = abs(p[2]);
        Tensor delta = B.fromFloats(random(r, C, 0), Shape.of(C));
        Map<String, Consumer<Tensor>> writes = new LinkedHashMap<>();
        writes.put("addInPlace", t -> B.addInPlace(t, delta));
        writes.put("copyInto", t -> B.copyInto(delta, t));
        writes.put("sgdUpdate", t -> B.sgdUpdate(t, delta, null, 0.1f, 0f, 0f, false));
        writes.put("adamUpdate", t -> {
            try (Tensor m = B.zeros(t.shape()); Tensor v = B.zeros(t.shape())) {
                B.adamUpdate(t, delta, m, v, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0f, false);
            }
        });
        for (int which = 0; which < 4; which++) {
            for (Map.Entry<String, Consumer<Tensor>> w : writes.entrySet()) {
                float[] before = bn(x, p); // computes and caches the fold
                assertArrayEquals(before, bn(x, p), "cached fold gives the same output");
                w.getValue().accept(p[which]);
                if (which == 3) B.copyInto(abs(p[3]), p[3]); // keep the variance positive
                float[] after = bn(x, p);
                float[] fresh = bn(x, copies(p));
                assertArrayEquals(fresh, after, w.getKey() + " on input " + which + ": output as with fresh tensors");
                assertFalse(Arrays.equals(before, after), w.getKey() + " on input " + which + " changed nothing; the test would not see a stale fold");
            }
        }
    }

    /** The graph-level contract: after an optimiser step (and the running-statistics update), a predictor made before it gives a fresh model's logits. */
    @Test
    void predictorAfterATrainingStepMatchesAFreshModel() {
        Graph g = Models.resnet8(B, 3);
        float[] images = random(new Random(5), 4 * 28 * 28, 0);
        try (GraphPredictor p = new GraphPredictor(g, B); Optimizer opt = new OptimizerConfig.Sgd(0.05f, 0.9f, 0f, false).create()) {
            float[] before = p.logits(images, 4);
            try (GraphRunner run = new GraphRunner(g, B, true, 1); Tensor x = B.fromFloats(images, Shape.of(4, 1, 28, 28))) {
                LossResult loss = B.softmaxCrossEntropy(run.forward(x), new int[] {0, 1, 2, 3});
                run.backward(loss.gradLogits());
                loss.gradLogits().close();
            }
            opt.step(g.trainableParams(), 0.05f);
            float[] after = p.logits(images, 4);
            assertFalse(Arrays.equals(before, after), "the step changed nothing");
            Graph fresh = copy(g);
            try (GraphPredictor pf = new GraphPredictor(fresh, B)) {
                assertArrayEquals(pf.logits(images, 4), after, "logits after the step equal a fresh model's");
            }
        }
    }

    private static float[] bn(Tensor x, Tensor[] p) {
        try (Tensor y = B.batchNormInference(x, p[0], p[1], p[2], p[3], 1e-5f)) {
            return y.toFloatArray();
        }
    }

    private static Tensor[] copies(Tensor[] p) {
        Tensor[] c = new Tensor[p.length];
        for (int i = 0; i < p.length; i++) c[i] = B.fromFloats(p[i].toFloatArray(), p[i].shape());
        return c;
    }

    private static Tensor abs(Tensor t) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]) + 0.01f;
        return B.fromFloats(v, t.shape());
    }

    private static Graph copy(Graph g) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (Parameter q : g.params().values()) {
            params.put(q.name(), new Parameter(q.name(), B.fromFloats(q.value().toFloatArray(), q.value().shape()), q.trainable()));
        }
        return new Graph(g.name(), g.inputShape(), g.nodes(), g.output(), params);
    }

    private static float[] random(Random r, int n, float offset) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = offset + (float) r.nextGaussian();
        return v;
    }
}
