package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.share.ShareConfig;
import dev.nncompress.compress.share.SharedWeights;
import dev.nncompress.compress.share.WeightSharer;
import dev.nncompress.data.DataRequest;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.CodedStorage;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.Provenance;
import dev.nncompress.train.Check;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.util.Seeds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code nncompress share}: trained weight sharing of every conv and linear weight (k-means of the unpruned weights,
 * centroids fine-tuned with the assignments and zeros held), then the model written entropy-coded
 * ({@link CodedStorage}): Deep Compression's second and third stages after {@code prune}'s first.
 */
@Command(name = "share", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Share weights (Deep Compression, Han et al. 2016): cluster each conv/linear layer's unpruned weights into 2^bits "
                + "values (k-means, linear initialisation), fine-tune the shared values with the clusters and zeros held, and write the "
                + "model with Huffman-coded cluster indices and sparse positions. Pruned (sparse) files stay pruned.",
                "Example: nncompress prune teacher.safetensors --sparsity 0.92 --out pruned.safetensors && "
                        + "nncompress share pruned.safetensors --bits 5 --conv-bits 8 --finetune-epochs 1 --out shared.safetensors"})
final class ShareCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file (dense or pruned), or a built-in name (untrained; for smoke tests).")
    String model;

    @Option(names = "--bits", defaultValue = "5", paramLabel = "B", description = "Index bits of linear layers: 2^B shared values each, B in [2, 8] (default: ${DEFAULT-VALUE}).")
    int bits;

    @Option(names = "--conv-bits", defaultValue = "8", paramLabel = "B", description = "Index bits of conv layers, in [2, 8] (default: ${DEFAULT-VALUE}).")
    int convBits;

    @Option(names = "--layer-bits", split = ",", paramLabel = "NODE=B", description = "Index bits of these conv/linear layers instead of "
            + "--bits/--conv-bits, B in [2, 8] (e.g. conv1=4,fc1=4).")
    Map<String, Integer> layerBits = new LinkedHashMap<>();

    @Option(names = "--bias-bits", paramLabel = "B", description = "Share each conv/linear layer's bias too, in 2^B values, B in [2, 8] "
            + "(default: biases stay float; on a small model they are a large part of the coded file).")
    Integer biasBits;

    @Option(names = "--finetune-epochs", defaultValue = "1", paramLabel = "N", description = "Epochs fine-tuning the shared values, 0 for none (default: ${DEFAULT-VALUE}).")
    int finetuneEpochs;

    @Option(names = "--lr", defaultValue = "0.001", paramLabel = "LR", description = "Fine-tuning learning rate of SGD (momentum 0.9); a shared value's "
            + "gradient is the sum of its members', so this is smaller than prune's (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--batch-size", defaultValue = "64", paramLabel = "N", description = "Fine-tuning batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", defaultValue = "" + Seeds.DEFAULT, paramLabel = "SEED", description = "Data order of fine-tuning; initialisation of a built-in MODEL (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--train-limit", paramLabel = "N", description = "Fine-tune on the first N training images only (quick runs).")
    Integer limit;

    @Option(names = "--test-limit", paramLabel = "N", description = "Evaluate on the first N test images only (default: all 10,000).")
    Integer testLimit;

    @Mixin
    DataOptions data;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write the shared model here, entropy-coded (format " + CodedStorage.FORMAT + "; atomic).")
    Path out;

    @Mixin
    BackendOption backendOption;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        ShareConfig config;
        try {
            if (biasBits != null && biasBits == ShareConfig.FLOAT_BIASES) throw new IllegalArgumentException("biasBits must be in [" + ShareConfig.MIN_BITS + ", " + ShareConfig.MAX_BITS + "], got 0");
            config = new ShareConfig(bits, convBits, layerBits, biasBits == null ? ShareConfig.FLOAT_BIASES : biasBits);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            String option = m.startsWith("linear") ? "--bits" : m.startsWith("conv") ? "--conv-bits" : m.startsWith("bias") ? "--bias-bits" : "--layer-bits";
            throw new IllegalArgumentException(option + (option.equals("--layer-bits") ? m.substring("layerBits".length()) : m.substring(m.indexOf(' '))), e);
        }
        if (finetuneEpochs < 0) throw new IllegalArgumentException("--finetune-epochs must be >= 0, got " + finetuneEpochs);
        Check.positive("--lr", lr);
        Check.positive("--batch-size", batchSize);
        if (limit != null) Check.positive("--train-limit", limit);
        if (testLimit != null) Check.positive("--test-limit", testLimit);
        if (out != null) CliSupport.checkWritable("--out", out);
        data.check();
        backendOption.check();

        PrintWriter o = json.text();
        PrintWriter err = spec.commandLine().getErr();
        ModelSource.Read read = ModelSource.read(model, seed).requireFloat(); // before the backend: a bad file is one error line
        if (!layerBits.isEmpty()) {
            try {
                config.checkLayers(PruneTargets.all(read.inspect().graph()).layers()); // before any image is read
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--layer-bits: " + e.getMessage(), e);
            }
        }
        DataBinding.Prepared prepared = DataBinding.prepare(data, read, finetuneEpochs == 0 ? 0 : limit == null ? DataRequest.ALL : limit,
                testLimit == null ? DataRequest.ALL : testLimit, m -> { }, null);
        try (Backend backend = backendOption.create(err)) {
            DataBinding.Bound bound = prepared.on(backend);
            bound.describe(o);
            return run(bound, config, backend, o, err);
        }
    }

    private int run(DataBinding.Bound bound, ShareConfig config, Backend backend, PrintWriter o, PrintWriter err) {
        ModelSource src = bound.model();
        Graph g = src.graph();
        Dataset train = bound.train();
        Dataset test = bound.test();
        PruneTargets targets = PruneTargets.all(g);
        TrainConfig finetune = finetuneEpochs == 0 ? null
                : new TrainConfig(finetuneEpochs, batchSize, new OptimizerConfig.Sgd((float) lr, 0.9f, 0f, false), new LrSchedule.Constant(), seed);
        o.printf(Locale.ROOT, "model     %s%n", src.describe(seed));
        o.printf(Locale.ROOT, "share     %s: linear %d bits (%d values), conv %d bits (%d values)%s; %s%n", String.join(", ", targets.layers()),
                bits, 1 << bits, convBits, 1 << convBits, (layerBits.isEmpty() ? "" : ", " + layerBitsText())
                        + (biasBits == null ? "" : ", biases " + biasBits + " bits"), finetune == null ? "no fine-tuning"
                        : "fine-tune " + finetuneEpochs + (finetuneEpochs == 1 ? " epoch" : " epochs") + " on " + CliSupport.grouped(train.count())
                        + " images (sgd lr " + (float) lr + " momentum 0.9, batch " + batchSize + ")");
        o.flush();
        Map<String, String> prov = provenance(src, bound);
        long inputBytes = ModelIO.fileSize(g, prov, ModelIO.Storage.SPARSE);
        EvalResult before = new Evaluator(backend, 256).evaluate(g, test);
        o.printf(Locale.ROOT, "accuracy  before sharing %s on %s test images%n", CliSupport.percent(before.accuracy()), CliSupport.grouped(before.count()));
        o.flush();
        WeightSharer.Result r;
        try (Progress progress = new Progress(Progress.detect(main.quiet), err, "epoch")) {
            r = new WeightSharer(backend, config, finetune).share(g, targets, train, test, progress);
        }
        o.printf(Locale.ROOT, "accuracy  shared, before fine-tuning %s (%+.2f points)%n", CliSupport.percent(r.clustered().accuracy()),
                100 * (r.clustered().accuracy() - before.accuracy()));
        EvalResult last = r.fineTuned() == null ? r.clustered() : r.fineTuned();
        if (r.fineTuned() != null) {
            o.printf(Locale.ROOT, "accuracy  after fine-tuning %s (%+.2f points)%n", CliSupport.percent(last.accuracy()), 100 * (last.accuracy() - before.accuracy()));
        }
        for (var e : r.shared().layers().entrySet()) {
            SharedWeights.Layer l = e.getValue();
            long kept = java.util.Arrays.stream(l.assignment()).filter(a -> a >= 0).count();
            o.printf(Locale.ROOT, "  %-16s %s of %s kept, %d shared values%n", e.getKey(), CliSupport.grouped(kept),
                    CliSupport.grouped(l.assignment().length), l.centroids().length);
        }
        prov.put("test_accuracy", String.format(Locale.ROOT, "%.6f", last.accuracy()));
        Map<String, String> finalProv = Provenance.collect(prov);
        long codedBytes = ModelIO.fileSize(g, finalProv, ModelIO.Storage.CODED);
        long denseBytes = CodedInfo.denseFileBytes(g, finalProv);
        o.printf(Locale.ROOT, "size      dense float file %s bytes, input as stored (dense or sparse) %s bytes, coded %s bytes (%.1fx smaller than dense float)%n",
                CliSupport.grouped(denseBytes), CliSupport.grouped(inputBytes), CliSupport.grouped(codedBytes), (double) denseBytes / codedBytes);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("model", src.describe(seed));
        results.put("test_images", before.count());
        results.put("accuracy_before", before.accuracy());
        results.put("accuracy_shared", r.clustered().accuracy());
        results.put("accuracy", last.accuracy());
        results.put("dense_float_bytes", denseBytes);
        results.put("coded_bytes", codedBytes);
        if (out == null) {
            err.println("nncompress: note: the shared model was not saved (no --out FILE)");
            json.print(results);
            return Main.EXIT_OK;
        }
        ModelIO.save(g, out, finalProv, ModelIO.Storage.CODED);
        CodedInfo.print(o, CodedStorage.sizes(out), denseBytes, size(out));
        o.printf(Locale.ROOT, "wrote     %s (%s bytes)%n", out, CliSupport.grouped(size(out)));
        results.put("out", out.toString());
        results.put("file_bytes", size(out));
        json.print(results);
        return Main.EXIT_OK;
    }

    private String layerBitsText() {
        StringBuilder b = new StringBuilder();
        layerBits.forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return b.toString();
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(f + ": " + e.getMessage(), e);
        }
    }

    private Map<String, String> provenance(ModelSource src, DataBinding.Bound bound) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("command", main.commandLine());
        p.put("task", "share");
        p.put("model", src.graph().name());
        p.put("source", src.spec());
        if (!src.builtIn() && src.provenance().containsKey("command")) p.put("source_command", src.provenance().get("command"));
        p.put("bits", Integer.toString(bits));
        p.put("conv_bits", Integer.toString(convBits));
        if (!layerBits.isEmpty()) p.put("layer_bits", layerBitsText());
        if (biasBits != null) p.put("bias_bits", Integer.toString(biasBits));
        p.put("finetune_epochs", Integer.toString(finetuneEpochs));
        p.put("lr", Double.toString(lr));
        p.put("seed", Long.toString(seed));
        bound.contract().putInto(p);
        return p;
    }
}
