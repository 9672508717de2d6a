package dev.nncompress.pipeline;

import dev.nncompress.backend.Backend;
import dev.nncompress.cli.ModelData;
import dev.nncompress.data.Dataset;
import dev.nncompress.io.Provenance;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.TrainProgress;
import dev.nncompress.util.ProgressListener;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a running stage sees: the recipe, its place in it, the backend, the data, the input model, the output streams,
 * and where its long steps report progress (inside the pipeline's "recipe" task).
 */
record StageContext(Recipe recipe, int index, Stage stage, Backend backend, Dataset train, Dataset test, ModelData.Loaded input, PrintWriter out,
                    PrintWriter err, double reference, ProgressListener progress) {

    /** The lowest accuracy the budget allows this stage, or null without a budget. */
    Double minAccuracy() { return recipe.budget() == null ? null : reference - recipe.budget().maxDropPoints() / 100; }

    /** The accuracy of {@code m} on the run's test images (the int8 engine for int8), as the evaluation measures it. */
    double accuracy(ModelState m) {
        dev.nncompress.train.Evaluator e = new dev.nncompress.train.Evaluator(backend, 256);
        if (!m.isInt8()) return e.evaluate(m.graph(), test, new TrainProgress(progress, "eval")).accuracy();
        try (dev.nncompress.int8.Int8Runner r = ModelData.int8Runner(m.int8(), backend, err)) {
            return e.evaluate(r, test, new TrainProgress(progress, "eval")).accuracy();
        }
    }

    /** The stage's key path in the recipe, for errors and output: {@code stages[2] (prune)}. */
    String where() { return "stages[" + index + "] (" + stage.name() + ")"; }

    /**
     * Every artefact's provenance: the recipe as written, its SHA-256, the stage's index and name and settings, the
     * input model and the data (as every command writes them), then the tool version and git commit.
     */
    Map<String, String> provenance() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("task", "recipe");
        p.put("recipe_file", recipe.fileName());
        p.put("recipe_sha256", recipe.sha256());
        p.put("recipe", recipe.text());
        p.put("stage_index", Integer.toString(index));
        p.put("stage", stage.name());
        p.put("stage_settings", Json.compact(stage.settings()));
        p.put("source", recipe.model());
        p.put("seed", Long.toString(recipe.seed()));
        p.putAll(input.dataProvenance());
        return Provenance.collect(p);
    }

    /** Epoch lines on {@code out}, prefixed by the stage ("stages[1] train  epoch 1/2 ..."), and each epoch as a progress task. */
    TrainListener epochs(int total) {
        return epochLines(total).and(new TrainProgress(progress, "epoch"));
    }

    private TrainListener epochLines(int total) {
        return new TrainListener() {
            @Override
            public void epochDone(EpochStats s) {
                EvalResult e = s.eval();
                out.printf(Locale.ROOT, "%s  epoch %d/%d  train loss %.4f%s  %.1f s%n", where(), s.epoch(), total, s.trainLoss(),
                        e == null ? "" : String.format(Locale.ROOT, "  test acc %.2f%%", 100 * e.accuracy()), s.seconds());
                out.flush();
            }
        };
    }

    void note(String line) {
        out.println(where() + "  " + line);
        out.flush();
    }
}
