package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.DataRequest;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.train.Check;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import dev.nncompress.util.Seeds;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training options of {@code train} and {@code distill} (a picocli mixin): one set of names, defaults and
 * checks, one {@link TrainConfig}, so that {@code distill} can run exactly plain training's optimiser and data
 * order (at {@code --alpha 0} it writes {@code train}'s weights bit for bit).
 */
public final class TrainingOptions {
    enum OptimizerName { sgd, adam, adamw }

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

    @Option(names = "--lr-schedule", defaultValue = "constant", paramLabel = "SPEC",
            description = "Learning-rate schedule: constant, step:EVERY:GAMMA (e.g. step:1:0.5) or cosine[:MINLR] (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--seed", defaultValue = "" + Seeds.DEFAULT, paramLabel = "SEED", description = "Seed for initialisation, data order and dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    DataOptions data;

    @Option(names = "--train-limit", paramLabel = "N", description = "Train on the first N training images only (quick runs).")
    Integer limit;

    @Option(names = "--test-limit", paramLabel = "N", description = "Evaluate on the first N test images only (default: all 10,000).")
    Integer testLimit;

    /** Checks every option (a usage error names it) and builds the run's config; reads no data. */
    TrainConfig config() {
        Check.positive("--epochs", epochs);
        Check.positive("--batch-size", batchSize);
        Check.positive("--lr", lr);
        Check.range("--weight-decay", weightDecay, 0, 1, true);
        if (limit != null) Check.positive("--train-limit", limit);
        if (testLimit != null) Check.positive("--test-limit", testLimit);
        data.check();
        return new TrainConfig(epochs, batchSize, optimizerConfig(), parseSchedule(schedule), seed);
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

    static LrSchedule parseSchedule(String spec) {
        try {
            return LrSchedule.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--lr-schedule: " + e.getMessage(), e);
        }
    }

    /** The model (read, not yet on a backend) and the data it trains on (--train-limit training images, --test-limit test images); see {@link DataBinding}. */
    DataBinding.Prepared bind(ModelSource.Read model, ModelSource teacher) {
        return DataBinding.prepare(data, model, limit == null ? DataRequest.ALL : limit, testLimit == null ? DataRequest.ALL : testLimit,
                m -> { }, teacher);
    }

    /** Fits {@code graph} with progress on {@code err} and one {@link #epochLine} per epoch on {@code stdout}. */
    List<EpochStats> fit(Trainer trainer, Graph graph, Dataset train, Dataset test, boolean quiet, PrintWriter stdout, PrintWriter err) {
        try (Progress progress = new Progress(Progress.detect(quiet), err, "epoch")) {
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
            return trainer.fit(graph, train, test, listener);
        }
    }

    /** --json of train and distill: the model, the data, every epoch's numbers and the file written (null: none). */
    static Map<String, Object> results(String model, long parameters, Dataset train, Dataset test, List<EpochStats> history, Path out) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model);
        r.put("parameters", parameters);
        r.put("train_images", train.count());
        r.put("test_images", test.count());
        List<Map<String, Object>> epochs = new ArrayList<>();
        for (EpochStats s : history) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("epoch", s.epoch());
            e.put("train_loss", s.trainLoss());
            if (s.eval() != null) {
                e.put("test_loss", s.eval().loss());
                e.put("test_accuracy", s.eval().accuracy());
            }
            e.put("lr", s.lr());
            e.put("images_per_second", s.imagesPerSecond());
            e.put("seconds", s.seconds());
            epochs.add(e);
        }
        r.put("epochs", epochs);
        EpochStats last = history.get(history.size() - 1);
        r.put("test_accuracy", last.eval() == null ? null : last.eval().accuracy());
        r.put("out", out == null ? null : out.toString());
        return r;
    }

    static String epochLine(EpochStats s, int epochs) {
        EvalResult e = s.eval();
        String eval = e == null ? "" : String.format(Locale.ROOT, "  test loss %.4f  test acc %6.2f%%", e.loss(), 100 * e.accuracy());
        return String.format(Locale.ROOT, "epoch %d/%d  train loss %.4f%s  lr %.3g  %.0f img/s  %.1f s",
                s.epoch(), epochs, s.trainLoss(), eval, s.lr(), s.imagesPerSecond(), s.seconds());
    }

    /** "3 epochs, batch 64, sgd lr 0.01 momentum 0.9, schedule constant, seed 42" */
    String describe(TrainConfig c) {
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

    /** The provenance's "config" entry: this run's config as JSON, then the command's own {@code extra} entries. */
    String configJson(TrainConfig c, Map<String, Object> extra) {
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
        cfg.putAll(extra);
        return CliSupport.compactJson(cfg);
    }
}
