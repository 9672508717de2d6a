package dev.nncompress.pipeline;

import dev.nncompress.backend.Backend;
import dev.nncompress.bench.Throughput;
import dev.nncompress.cli.ModelData;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.prune.UnstructuredPruner;
import dev.nncompress.data.Dataset;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.TrainProgress;
import dev.nncompress.util.ProgressListener;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every stage's measurement of the model after it: accuracy and confusion on the run's test images, file size,
 * parameters, per-layer sparsity, and a short latency (batch 1) and throughput (batch up to 256) measurement on the
 * run's backend, with the int8 engine for int8 models as {@code nncompress eval} runs them.
 */
final class Evaluation {
    private Evaluation() {}

    static StageRecord.Metrics measure(ModelState m, long fileBytes, Map<String, Double> sqnrDb, Dataset test, Backend backend, Recipe.Bench bench,
                                       PrintWriter err, ProgressListener progress) {
        Evaluator evaluator = new Evaluator(backend, 256);
        int batch = Math.min(256, test.count());
        float[] images = test.slice(0, batch).images();
        float[] one = test.slice(0, 1).images();
        EvalResult e;
        Throughput.Result single;
        Throughput.Result many;
        Map<String, Double> sparsity = new LinkedHashMap<>();
        if (m.isInt8()) {
            try (Int8Runner r = ModelData.int8Runner(m.int8(), backend, err)) {
                e = evaluator.evaluate(r, test, new TrainProgress(progress, "eval"));
                single = Throughput.inference(r, one, 1, bench.rounds(), bench.seconds(), progress);
                many = Throughput.inference(r, images, batch, bench.rounds(), bench.seconds(), progress);
            }
        } else {
            e = evaluator.evaluate(m.graph(), test, new TrainProgress(progress, "eval"));
            single = Throughput.inference(m.graph(), backend, one, 1, bench.rounds(), bench.seconds(), progress);
            many = Throughput.inference(m.graph(), backend, images, batch, bench.rounds(), bench.seconds(), progress);
            for (var s : UnstructuredPruner.measuredSparsity(m.graph(), PruneTargets.all(m.graph())).entrySet()) {
                String w = s.getKey();
                sparsity.put(w.endsWith(".weight") ? w.substring(0, w.length() - ".weight".length()) : w, s.getValue());
            }
        }
        return new StageRecord.Metrics(e.accuracy(), e.count(), fileBytes, m.parameterCount(), 1000.0 / single.imagesPerSecond(),
                many.imagesPerSecond(), batch, m.isInt8() ? "int8" : "float", sparsity, sqnrDb, e.confusion());
    }
}
