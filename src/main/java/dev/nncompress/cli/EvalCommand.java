package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.DataRequest;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Predictor;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.Check;
import dev.nncompress.util.Seeds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code nncompress eval}: accuracy, loss and throughput of a model on a dataset's test split (Fashion-MNIST by default). */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Evaluate a model on a dataset's test split (--data; Fashion-MNIST by default): accuracy, loss, images per second.",
                "Example: nncompress eval student.safetensors --confusion"})
final class EvalCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file, or a built-in name (untrained; for smoke tests).")
    String model;

    @Mixin
    DataOptions data;

    @Option(names = "--test-limit", paramLabel = "N", description = "Evaluate on the first N test images only.")
    Integer limit;

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "N", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--confusion", description = "Also print the confusion matrix with per-class recall.")
    boolean confusion;

    @Option(names = "--seed", defaultValue = "" + Seeds.DEFAULT, paramLabel = "SEED", description = "Initialisation seed when MODEL is a built-in name (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    BackendOption backendOption;

    @Mixin
    Int8Option int8Option;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        PrintWriter out = json.text();
        PrintWriter err = spec.commandLine().getErr();
        Check.positive("--batch-size", batchSize);
        if (limit != null) Check.positive("--test-limit", limit);
        backendOption.check();
        data.check();

        // the files first: a bad one is one error line, before any backend is created or announced
        ModelSource.Read read = ModelSource.read(model, seed);
        DataBinding.Prepared prepared = DataBinding.prepare(data, read, 0, limit == null ? DataRequest.ALL : limit, m -> { }, null);
        try (Backend backend = backendOption.create(err)) {
            return evaluate(backend, prepared.on(backend), out, err);
        }
    }

    private int evaluate(Backend backend, DataBinding.Bound bound, PrintWriter out, PrintWriter err) {
        ModelSource src = bound.model();
        Dataset test = bound.test();
        EvalResult r;
        String sparseLine = null;
        String runsOn = backend.name() + " backend";
        try (Progress progress = new Progress(Progress.detect(main.quiet), err, "eval");
             Predictor p = src.isInt8() ? int8Option.runner(src.int8(), backend, err) : new GraphPredictor(Logits.of(src.graph()), backend)) {
            if (p instanceof Int8Runner q) runsOn = "int8 " + q.kernelsName() + " kernels, " + q.summary();
            if (p instanceof GraphPredictor g && g.sparse().pruned()) sparseLine = g.sparse().summary();
            r = new Evaluator(backend, batchSize).evaluate(p, test, progress);
        }
        long params = src.isInt8() ? src.int8().parameterCount() : src.graph().parameterCount();
        out.printf(Locale.ROOT, "model     %s, %s parameters%n", src.describe(seed), CliSupport.grouped(params));
        if (bound.usual()) out.printf(Locale.ROOT, "data      %s test images from %s%n", CliSupport.grouped(r.count()), data.data);
        bound.describe(out);
        out.printf(Locale.ROOT, "accuracy  %s (%d/%d)%n", CliSupport.percent(r.accuracy()), r.correct(), r.count());
        out.printf(Locale.ROOT, "loss      %.4f%n", r.loss());
        out.printf(Locale.ROOT, "speed     %.0f img/s (%s, batch %d)%n", r.imagesPerSecond(), runsOn, batchSize);
        if (sparseLine != null) out.printf(Locale.ROOT, "sparse    %s%n", sparseLine);
        if (confusion) printConfusion(out, r.confusion(), bound.classNames());
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("model", src.describe(seed));
        results.put("parameters", params);
        results.put("test_images", r.count());
        results.put("correct", r.correct());
        results.put("accuracy", r.accuracy());
        results.put("loss", r.loss());
        results.put("images_per_second", r.imagesPerSecond());
        results.put("runs_on", runsOn);
        results.put("batch_size", batchSize);
        if (sparseLine != null) results.put("sparse", sparseLine);
        results.put("classes", bound.classNames());
        results.put("confusion", r.confusion()); // rows: true class, columns: predicted
        json.print(results);
        return Main.EXIT_OK;
    }

    /** Rows: true class; columns: predicted class (numbered as in the row labels); last column: recall. */
    static void printConfusion(PrintWriter out, int[][] m, List<String> names) {
        int k = m.length;
        int nameWidth = 0;
        int cell = 5;
        for (int i = 0; i < k; i++) {
            nameWidth = Math.max(nameWidth, CliSupport.className(names, i).length());
            for (int v : m[i]) cell = Math.max(cell, Integer.toString(v).length() + 1);
        }
        String rowLabel = "%2d %-" + nameWidth + "s";
        out.println();
        out.println("confusion matrix (rows: true class, columns: predicted class)");
        StringBuilder head = new StringBuilder(" ".repeat(3 + nameWidth));
        for (int j = 0; j < k; j++) head.append(String.format(Locale.ROOT, "%" + cell + "d", j));
        head.append("   recall");
        out.println(head);
        for (int i = 0; i < k; i++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, rowLabel, i, CliSupport.className(names, i)));
            int total = 0;
            for (int j = 0; j < k; j++) {
                row.append(String.format(Locale.ROOT, "%" + cell + "d", m[i][j]));
                total += m[i][j];
            }
            row.append(total == 0 ? "        -" : String.format(Locale.ROOT, "  %6.1f%%", 100.0 * m[i][i] / total));
            out.println(row);
        }
    }
}
