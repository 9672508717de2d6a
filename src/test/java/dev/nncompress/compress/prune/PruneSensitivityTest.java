package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PruneSensitivityTest {
    private final Backend backend = new ReferenceBackend();
    private final Dataset test = PruneFixtures.columns(96, 8);

    private Graph trained() {
        Graph g = PruneFixtures.tiny(backend, 1);
        TrainConfig c = new TrainConfig(2, 16, new OptimizerConfig.Sgd(0.05f, 0.9f, 0f, false), new LrSchedule.Constant(), 1);
        new Trainer(backend, c).fit(g, PruneFixtures.columns(384, 7), null, TrainListener.NONE);
        return g;
    }

    private static Map<String, int[]> bits(Graph g) {
        Map<String, int[]> out = new LinkedHashMap<>();
        for (Parameter p : g.params().values()) {
            float[] v = p.value().toFloatArray();
            int[] b = new int[v.length];
            for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
            out.put(p.name(), b);
        }
        return out;
    }

    private static double accuracy(EvalResult r) { return (double) r.correct() / r.count(); }

    @Test
    void eachCellIsThatLayerAlonePrunedAndTheGraphIsRestoredBitForBit() {
        Graph g = trained();
        Map<String, int[]> before = bits(g);
        List<Double> levels = List.of(0.0, 0.5, 0.9);
        PruneSensitivity s = PruneSensitivity.measure(g, PruneTargets.all(g), levels, new MagnitudeCriterion(), test, backend);
        Map<String, int[]> after = bits(g);
        for (String name : before.keySet()) assertArrayEquals(before.get(name), after.get(name), name + " restored exactly");

        Evaluator eval = new Evaluator(backend, 256);
        double dense = accuracy(eval.evaluate(g, test));
        assertEquals(dense, s.dense());
        assertEquals(List.of("conv", "fc"), s.rows().stream().map(PruneSensitivity.Row::layer).toList());
        assertEquals(36, s.rows().get(0).weights());
        boolean anyDrop = false;
        for (PruneSensitivity.Row row : s.rows()) {
            assertEquals(dense, row.accuracy().get(0), row.layer() + " at 0% is the dense graph");
            for (int i = 0; i < levels.size(); i++) {
                // the same cell by hand on a fresh copy: prune only this layer to the level, evaluate
                Graph copy = trained();
                String w = PruneTargets.weightOf(row.layer());
                MaskSelection.select(Map.of(w, new MagnitudeCriterion().scores(copy, PruneTargets.all(copy)).get(w)), levels.get(i), PruneScope.LAYER).applyTo(copy);
                assertEquals(accuracy(eval.evaluate(copy, test)), row.accuracy().get(i), row.layer() + " at " + levels.get(i));
                anyDrop |= row.accuracy().get(i) < dense;
            }
        }
        assertTrue(anyDrop, "pruning 90% of a layer of a trained net costs accuracy somewhere: " + s.lines());
        List<String> lines = s.lines();
        assertTrue(lines.get(0).contains("tiny, magnitude, one layer at a time, no fine-tuning; dense"), lines.get(0));
        assertTrue(lines.get(1).matches("layer +weights +0% +50% +90%"), lines.get(1));
        assertTrue(lines.get(3).startsWith("fc   ") && lines.get(3).contains(" 108 "), lines.get(3));
        var json = s.toJson();
        assertEquals(3, json.get("levels").size());
        assertEquals("fc", json.get("layers").get(1).get("layer").asText());
        assertEquals(s.rows().get(1).accuracy().get(2), json.get("layers").get(1).get("accuracy").get(2).asDouble());
    }

    @Test
    void badLevelsAreErrors() {
        Graph g = PruneFixtures.tiny(backend, 1);
        assertThrows(IllegalArgumentException.class, () -> PruneSensitivity.measure(g, PruneTargets.all(g), List.of(), new MagnitudeCriterion(), test, backend));
        var e = assertThrows(IllegalArgumentException.class, () -> PruneSensitivity.measure(g, PruneTargets.all(g), List.of(0.5, 1.0), new MagnitudeCriterion(), test, backend));
        assertTrue(e.getMessage().contains("sparsity must be in [0, 1), got 1.0"), e.getMessage());
    }
}
