package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.bench.Throughput;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;
import dev.nncompress.train.Check;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code nncompress bench}: training and inference images/s of models on the chosen backend, each
 * beside a baseline backend measured in the same run, with the ratio.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Measure training (forward + backward + SGD step) and inference images/s, side by side with a baseline.",
                "Example: nncompress bench --models student,teacher --baseline reference"})
final class BenchCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Option(names = "--models", split = ",", defaultValue = "student,teacher", paramLabel = "NAME[,NAME...]",
            description = "Built-in models to measure (default: ${DEFAULT-VALUE}).")
    List<String> models;

    @Option(names = "--train-batch", defaultValue = "64", paramLabel = "N", description = "Training batch size (default: ${DEFAULT-VALUE}).")
    int trainBatch;

    @Option(names = "--infer-batch", defaultValue = "256", paramLabel = "N", description = "Inference batch size (default: ${DEFAULT-VALUE}).")
    int inferBatch;

    @Option(names = "--rounds", defaultValue = "5", paramLabel = "N", description = "Timed rounds; the median is reported (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--round-seconds", defaultValue = "2", paramLabel = "S", description = "Length of one round (default: ${DEFAULT-VALUE}).")
    double roundSeconds;

    @Option(names = "--baseline", defaultValue = "reference", paramLabel = "BACKEND|none",
            description = "Backend to compare against in the same run (default: ${DEFAULT-VALUE}, the plain-Java loops).")
    String baselineName;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory for the input images (default: ${DEFAULT-VALUE}).")
    Path data = FashionMnist.DEFAULT_DIR;

    @Mixin
    BackendOption backendOption;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Check.positive("--train-batch", trainBatch);
        Check.positive("--infer-batch", inferBatch);
        Check.positive("--rounds", rounds);
        Check.positive("--round-seconds", roundSeconds);
        backendOption.check();
        boolean withBaseline = !baselineName.equals("none");
        if (withBaseline) CliSupport.checkBackendName(baselineName);
        for (String m : models) {
            if (!Models.NAMES.contains(m)) throw new IllegalArgumentException("--models: unknown model '" + m + "'; built-in models are " + Models.NAMES);
        }
        // real images so that ReLU sparsity and pooling see what training sees
        Dataset images = FashionMnist.train(data, Math.max(trainBatch, inferBatch));

        try (Backend backend = backendOption.create(err);
             Backend baseline = withBaseline ? CliSupport.createBackend(baselineName, err) : null) {
            out.printf(Locale.ROOT, "%-9s %-22s %16s %16s %8s%n", "model", "mode", backend.name() + " img/s",
                    withBaseline ? baseline.name() + " img/s" : "", withBaseline ? "ratio" : "");
            for (String m : models) {
                row(out, m, "train batch " + trainBatch, true, backend, baseline, images);
                row(out, m, "inference batch " + inferBatch, false, backend, baseline, images);
            }
        }
        return Main.EXIT_OK;
    }

    private void row(PrintWriter out, String model, String mode, boolean train, Backend backend, Backend baseline, Dataset images) {
        double ours = measure(model, train, backend, images, rounds, roundSeconds).imagesPerSecond();
        String base = "";
        String ratio = "";
        if (baseline != null) {
            // the baseline may be 100x slower: one short round keeps the run bounded
            double theirs = measure(model, train, baseline, images, 1, Math.min(roundSeconds, 1.0)).imagesPerSecond();
            base = String.format(Locale.ROOT, "%,.0f", theirs);
            ratio = String.format(Locale.ROOT, "%.1fx", ours / theirs);
        }
        out.printf(Locale.ROOT, "%-9s %-22s %,16.0f %16s %8s%n", model, mode, ours, base, ratio);
        out.flush();
    }

    private Throughput.Result measure(String model, boolean train, Backend b, Dataset images, int n, double seconds) {
        Graph g = Models.byName(model, b, 0);
        return train ? Throughput.training(g, b, images.images(), images.labels(), trainBatch, n, seconds)
                : Throughput.inference(g, b, images.images(), inferBatch, n, seconds);
    }
}
