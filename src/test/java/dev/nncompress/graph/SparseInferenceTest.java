package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The automatic choice of sparse layers (reference backend: break-even conv 50%, linear 70%) and that a
 * predictor running them gives the dense model's logits up to float re-association.
 */
public class SparseInferenceTest {
    private final Backend backend = new ReferenceBackend();

    /** Student with conv1 dense, conv2 95% (1,094 of 1,152: 94.97%), fc1 60%, fc2 80% zeros. */
    public static Graph prunedStudent(Backend b) {
        Graph g = Models.student(b, 3);
        zero(g, "conv2.weight", 0.95, 1);
        zero(g, "fc1.weight", 0.60, 2);
        zero(g, "fc2.weight", 0.80, 3);
        return g;
    }

    static void zero(Graph g, String param, double fraction, long seed) {
        Parameter p = g.param(param);
        float[] w = p.value().toFloatArray();
        int[] idx = new SplittableRandom(seed).ints(0, w.length).distinct().limit(Math.round(fraction * w.length)).toArray();
        for (int i : idx) w[i] = 0f;
        p.setValue(Backend.of(p.value()).fromFloats(w, p.value().shape()));
    }

    @Test
    void autoTakesLayersAtOrAboveTheBreakEven() {
        Graph g = prunedStudent(backend);
        try (SparseInference s = SparseInference.plan(g, backend, SparseInference.Mode.AUTO)) {
            assertEquals(List.of("conv2", "fc2"), s.layers().stream().filter(SparseInference.Layer::sparse).map(SparseInference.Layer::node).toList());
            assertNotNull(s.weight("conv2"));
            assertNull(s.weight("conv1"));
            assertNull(s.weight("fc1"));
            assertEquals(0.95, s.weight("conv2").zeroFraction(), 1e-3);
            assertEquals("java kernels for conv2 (94.9% zeros), fc2 (80.0%); dense for conv1 (0.0%), fc1 (60.0%) [auto, break-even conv 50%, linear 70%]",
                    s.summary());
            assertTrue(s.pruned());
        }
        try (SparseInference off = SparseInference.plan(g, backend, SparseInference.Mode.OFF);
             SparseInference on = SparseInference.plan(g, backend, SparseInference.Mode.ON)) {
            assertFalse(off.any());
            assertEquals(4, on.layers().stream().filter(SparseInference.Layer::sparse).count());
        }
        try (SparseInference dense = SparseInference.plan(Models.student(backend, 1), backend, SparseInference.Mode.AUTO)) {
            assertFalse(dense.any());
            assertFalse(dense.pruned());
        }
    }

    @Test
    void sparsePredictorGivesTheDenseLogits() {
        Graph g = prunedStudent(backend);
        float[] images = new float[5 * 28 * 28];
        SplittableRandom rnd = new SplittableRandom(9);
        for (int i = 0; i < images.length; i++) images[i] = (float) rnd.nextGaussian();
        float[] dense;
        try (GraphPredictor p = new GraphPredictor(g, backend, SparseInference.Mode.OFF)) {
            dense = p.logits(images, 5);
        }
        for (SparseInference.Mode m : new SparseInference.Mode[] {SparseInference.Mode.AUTO, SparseInference.Mode.ON}) {
            try (GraphPredictor p = new GraphPredictor(g, backend, m)) {
                assertTrue(p.sparse().any());
                float[] got = p.logits(images, 5);
                float max = 0;
                for (float v : dense) max = Math.max(max, Math.abs(v));
                for (int i = 0; i < dense.length; i++) assertEquals(dense[i], got[i], 1e-5f * max, m + " logit " + i);
            }
        }
        // the default predictor (what eval and the library use) is AUTO
        try (GraphPredictor p = new GraphPredictor(g, backend)) {
            assertEquals(SparseInference.Mode.AUTO, p.sparse().mode());
        }
    }

    @Test
    void trainingPassesIgnoreSparsityAndModesParse() {
        Graph g = prunedStudent(backend);
        try (GraphRunner run = new GraphRunner(g, backend, true, 0);
             Tensor x = backend.zeros(GraphPredictor.batchShape(g.inputShape(), 2))) {
            run.forward(x);  // dense ops: a training pass never sees a plan, so gradients flow to the pruned weights as before
        }
        assertEquals(SparseInference.Mode.ON, SparseInference.Mode.parse("On"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparseInference.Mode.parse("sometimes"));
        assertTrue(e.getMessage().contains("auto, off or on"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GraphRunner(g, backend, null));
    }
}
