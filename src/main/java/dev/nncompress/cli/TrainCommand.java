package dev.nncompress.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.backend.Backend;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.Provenance;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import dev.nncompress.train.Check;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code nncompress train}: trains a built-in or saved model on Fashion-MNIST and saves it with provenance. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Train a model on Fashion-MNIST, evaluating on the test set after each epoch.",
                "Example: nncompress train --model student --epochs 3 --out student.safetensors"})
final class TrainCommand implements Callable<Integer> {
    enum OptimizerName { sgd, adam, adamw }

    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "NAME|FILE",
            description = "Built-in model (teacher, student, lenet5, resnet8) or a model file to continue training.")
    String model;

    @Option(names = "--epochs", defaultValue = "3", paramLabel = "N", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "64", paramLabel = "N", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--optimizer", defaultValue = "sgd", paramLabel = "sgd|adam|adamw",
            description = "Optimiser (default: ${DEFAULT-VALUE}).")
    OptimizerName optimizer;

    @Option(names = "--lr", defaultValue = "0.01", paramLabel = "LR", description = "Base learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum in [0, 1) (default: 0.9; sgd only).")
    Double momentum;

    @Option(names = "--weight-decay", defaultValue = "0", paramLabel = "WD",
            description = "Weight decay in [0, 1]: L2 for sgd and adam, decoupled for adamw (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--nesterov", description = "Nesterov momentum (sgd only).")
    boolean nesterov;

    @Option(names = "--schedule", defaultValue = "constant", paramLabel = "SPEC",
            description = "Learning-rate schedule: constant, step:EVERY:GAMMA (e.g. step:1:0.5) or cosine[:MINLR] (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "SEED", description = "Seed for initialisation, data order and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory (default: ${DEFAULT-VALUE}).")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--limit", paramLabel = "N", description = "Train on the first N training images only (quick runs).")
    Integer limit;

    @Option(names = "--test-limit", paramLabel = "N", description = "Evaluate on the first N test images only (default: all 10,000).")
    Integer testLimit;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Where to save the trained model (.safetensors); written atomically.")
    Path out;

    @Mixin
    BackendOption backendOption;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        // everything the user typed is checked before any data is read or any time is spent
        Check.positive("--epochs", epochs);
        Check.positive("--batch-size", batchSize);
        Check.positive("--lr", lr);
        Check.range("--weight-decay", weightDecay, 0, 1, true);
        if (limit != null) Check.positive("--limit", limit);
        if (testLimit != null) Check.positive("--test-limit", testLimit);
        OptimizerConfig opt = optimizerConfig();
        LrSchedule lrSchedule = parseSchedule(schedule);
        TrainConfig config = new TrainConfig(epochs, batchSize, opt, lrSchedule, seed);
        if (out != null) CliSupport.checkWritable("--out", out);
        backendOption.check();

        Dataset train = limit == null ? FashionMnist.train(data) : FashionMnist.train(data, limit);
        Dataset test = testLimit == null ? FashionMnist.test(data) : FashionMnist.test(data, testLimit);
        try (Backend backend = backendOption.create(err)) {
            return train(backend, config, train, test, stdout, err);
        }
    }

    private int train(Backend backend, TrainConfig config, Dataset train, Dataset test, PrintWriter stdout, PrintWriter err) {
        ModelSource src = ModelSource.load(model, backend, seed);
        Graph graph = src.graph();

        stdout.printf(Locale.ROOT, "training %s, %s parameters, on %s train / %s test images (%s); %s%n",
                src.describe(seed), CliSupport.grouped(graph.parameterCount()), CliSupport.grouped(train.count()),
                CliSupport.grouped(test.count()), data, describe(config));
        stdout.flush();

        List<EpochStats> history;
        try (Progress progress = new Progress(Progress.detect(main.quiet), err, "epoch")) {
            TrainListener listener = new TrainListener() {
                @Override public void epochStarted(int epoch, int n, int steps) { progress.epochStarted(epoch, n, steps); }

                @Override public void stepDone(int step, float meanLoss, double ips) { progress.stepDone(step, meanLoss, ips); }

                @Override
                public void epochDone(EpochStats s) {
                    progress.epochDone(s);
                    stdout.println(epochLine(s, epochs));
                    stdout.flush();
                }
            };
            history = new Trainer(backend, config).fit(graph, train, test, listener);
        }

        EpochStats last = history.get(history.size() - 1);
        if (out == null) {
            err.println("nncompress: note: the model was not saved (no --out FILE)");
            return Main.EXIT_OK;
        }
        Map<String, String> prov = provenance(src, backend, config, train, test, last);
        ModelIO.save(graph, out, Provenance.collect(prov));
        stdout.printf(Locale.ROOT, "saved %s (%s, test accuracy %s)%n", out, graph.name(),
                last.eval() == null ? "n/a" : CliSupport.percent(last.eval().accuracy()));
        return Main.EXIT_OK;
    }

    private OptimizerConfig optimizerConfig() {
        float flr = (float) lr;
        float wd = (float) weightDecay;
        if (optimizer == OptimizerName.sgd) {
            double m = momentum == null ? 0.9 : momentum;
            Check.range("--momentum", m, 0, 1, false);
            if (nesterov && m == 0) throw new IllegalArgumentException("--nesterov needs --momentum > 0");
            return new OptimizerConfig.Sgd(flr, (float) m, wd, nesterov);
        }
        if (momentum != null) throw new IllegalArgumentException("--momentum applies to --optimizer sgd only (adam uses beta1 = 0.9)");
        if (nesterov) throw new IllegalArgumentException("--nesterov applies to --optimizer sgd only");
        return optimizer == OptimizerName.adamw ? OptimizerConfig.Adam.adamW(flr, wd)
                : new OptimizerConfig.Adam(flr, 0.9f, 0.999f, 1e-8f, wd, false);
    }

    static String epochLine(EpochStats s, int epochs) {
        EvalResult e = s.eval();
        String eval = e == null ? "" : String.format(Locale.ROOT, "  test loss %.4f  test acc %6.2f%%", e.loss(), 100 * e.accuracy());
        return String.format(Locale.ROOT, "epoch %d/%d  train loss %.4f%s  lr %.3g  %.0f img/s  %.1f s",
                s.epoch(), epochs, s.trainLoss(), eval, s.lr(), s.imagesPerSecond(), s.seconds());
    }

    private String describe(TrainConfig c) {
        StringBuilder sb = new StringBuilder();
        sb.append(c.epochs()).append(c.epochs() == 1 ? " epoch" : " epochs").append(", batch ").append(c.batchSize()).append(", ");
        if (c.optimizer() instanceof OptimizerConfig.Sgd s) {
            sb.append(String.format(Locale.ROOT, "sgd lr %s momentum %s", s.lr(), s.momentum()));
            if (s.nesterov()) sb.append(" nesterov");
            if (s.weightDecay() > 0) sb.append(" wd ").append(s.weightDecay());
        } else if (c.optimizer() instanceof OptimizerConfig.Adam a) {
            sb.append(a.decoupled() ? "adamw" : "adam").append(" lr ").append(a.lr());
            if (a.weightDecay() > 0) sb.append(" wd ").append(a.weightDecay());
        }
        sb.append(", schedule ").append(schedule).append(", seed ").append(c.seed());
        return sb.toString();
    }

    private Map<String, String> provenance(ModelSource src, Backend backend, TrainConfig c, Dataset train, Dataset test, EpochStats last) {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("epochs", c.epochs());
        cfg.put("batch_size", c.batchSize());
        cfg.put("optimizer", optimizer.name());
        cfg.put("lr", c.optimizer().lr());
        if (c.optimizer() instanceof OptimizerConfig.Sgd s) {
            cfg.put("momentum", s.momentum());
            cfg.put("nesterov", s.nesterov());
            cfg.put("weight_decay", s.weightDecay());
        } else if (c.optimizer() instanceof OptimizerConfig.Adam a) {
            cfg.put("beta1", a.beta1());
            cfg.put("beta2", a.beta2());
            cfg.put("eps", a.eps());
            cfg.put("weight_decay", a.weightDecay());
        }
        cfg.put("schedule", schedule.trim());
        cfg.put("seed", c.seed());

        Map<String, String> p = new LinkedHashMap<>();
        p.put("command", main.commandLine());
        p.put("task", "train");
        p.put("model", src.graph().name());
        p.put("init", src.builtIn() ? "built-in " + src.spec() + ", seed " + seed : "file " + src.spec());
        if (!src.builtIn() && src.provenance().containsKey("command")) p.put("init_command", src.provenance().get("command"));
        p.put("seed", Long.toString(c.seed()));
        try {
            p.put("config", new JsonMapper().writeValueAsString(cfg));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        p.put("backend", backend.name());
        p.put("backend_detail", backend.describe());
        p.put("dataset", "fashion-mnist");
        p.put("dataset_dir", data.toAbsolutePath().normalize().toString());
        p.put("train_images", Integer.toString(train.count()));
        p.put("test_images", Integer.toString(test.count()));
        p.put("train_loss", String.format(Locale.ROOT, "%.6f", last.trainLoss()));
        if (last.eval() != null) {
            p.put("test_accuracy", String.format(Locale.ROOT, "%.6f", last.eval().accuracy()));
            p.put("test_loss", String.format(Locale.ROOT, "%.6f", last.eval().loss()));
        }
        return p;
    }

    static LrSchedule parseSchedule(String spec) {
        try {
            return LrSchedule.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--schedule: " + e.getMessage(), e);
        }
    }
}
