package dev.nncompress.pipeline;

import dev.nncompress.backend.Backend;
import dev.nncompress.bench.Timing;
import dev.nncompress.cli.ModelData;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Predictor;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;

/**
 * The baseline's and the final model's inference throughput measured side by side at the end of a run: both warmed
 * up, then rounds that time each in turn ({@link Timing#interleaved}), so that load from other processes falls on
 * both alike. The rows' own measurements are minutes apart and move with the machine's load; this is the throughput
 * ratio the summary gives.
 *
 * @param baseline  the baseline row's label, {@code last} the final row's
 * @param batch     images per call, as the rows' throughput (min(256, test images))
 */
public record SideBySide(String baseline, String last, int batch, int rounds, double baselineImagesPerSecond, double lastImagesPerSecond) {

    /** At least this many rounds, whatever the recipe's bench says: the median needs a few. */
    static final int MIN_ROUNDS = 5;

    public double ratio() { return lastImagesPerSecond / baselineImagesPerSecond; }

    /**
     * The summary's baseline row (reloaded: its artefact, or the input model as read) against {@code last}, the model the
     * run ended with; null when the baseline is the final row.
     */
    static SideBySide of(Recipe recipe, java.nio.file.Path runDir, List<StageRecord> rows, ModelState last, Dataset test, Backend backend, PrintWriter err) {
        StageRecord base = Summary.baseline(recipe.model(), rows);
        StageRecord end = rows.get(rows.size() - 1);
        if (base == end) return null;
        ModelState b;
        if (base.artefact() != null) {
            b = Pipeline.load(runDir.resolve(base.artefact()), backend);
        } else {
            ModelData.Loaded in = ModelData.loadModel(recipe.model(), recipe.seed(), backend);
            b = in.int8() != null ? ModelState.of(in.int8()) : ModelState.of(in.graph());
        }
        return measure(base, b, end, last, test, backend, recipe.bench(), err);
    }

    static SideBySide measure(StageRecord baselineRow, ModelState baseline, StageRecord lastRow, ModelState last, Dataset test, Backend backend,
                              Recipe.Bench bench, PrintWriter err) {
        int batch = Math.min(256, test.count());
        float[] images = test.slice(0, batch).images();
        int rounds = Math.max(MIN_ROUNDS, bench.rounds());
        try (Predictor a = predictor(baseline, backend, err); Predictor b = predictor(last, backend, err)) {
            float[] xa = Arrays.copyOf(images, batch * a.inputShape().numel());
            float[] xb = Arrays.copyOf(images, batch * b.inputShape().numel());
            List<Timing.Result> t = Timing.interleaved(List.of(() -> a.logits(xa, batch), () -> b.logits(xb, batch)), rounds, bench.seconds());
            return new SideBySide(baselineRow.label(), lastRow.label(), batch, rounds, batch / t.get(0).median(), batch / t.get(1).median());
        }
    }

    private static Predictor predictor(ModelState m, Backend backend, PrintWriter err) {
        return m.isInt8() ? ModelData.int8Runner(m.int8(), backend, err) : new GraphPredictor(m.graph(), backend);
    }
}
