package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.bench.Throughput;
import dev.nncompress.compress.distill.DistillationLoss;
import dev.nncompress.compress.PruneRequest;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.prune.structured.FilterCriterion;
import dev.nncompress.compress.prune.structured.GradualStructuredPruner;
import dev.nncompress.compress.prune.structured.StructuredPruneConfig;
import dev.nncompress.compress.prune.structured.StructuredPruneResult;
import dev.nncompress.compress.prune.structured.StructuredPruner;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.Provenance;
import dev.nncompress.train.BatchNormRecalibration;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.Trainer;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code prune --structured}: removes whole filters and hidden neurons (with every layer reading them) by L1 norm or APoZ,
 * rebuilds a smaller dense model, fine-tunes it, and reports accuracy, parameters and inference speed of
 * dense and pruned measured side by side in this run.
 */
final class StructuredPruneRun {
    // the defaults are PruneRequest's (shared with the recipe's prune stage); named here for PruneCommand's help text
    static final int DEFAULT_BN_RECALIBRATE = PruneRequest.DEFAULT_BN_RECALIBRATE;
    static final double DEFAULT_RAMP = PruneRequest.DEFAULT_STRUCTURED_RAMP;
    static final String DEFAULT_GRADUAL_SCORE = PruneRequest.DEFAULT_GRADUAL_SCORE;

    private final PruneCommand cmd;
    private final ModelSource src;
    private final ModelSource teacherFile; // --teacher FILE opened on the backend, or null (none, or --teacher dense)
    private final PruneTargets targets;
    private final Dataset train;
    private final Dataset test;
    private final Backend backend;
    private final PrintWriter o;
    private final PrintWriter err;

    StructuredPruneRun(PruneCommand cmd, ModelSource src, ModelSource teacherFile, PruneTargets targets, Dataset train, Dataset test, Backend backend,
                       PrintWriter o, PrintWriter err) {
        this.cmd = cmd;
        this.src = src;
        this.teacherFile = teacherFile;
        this.targets = targets;
        this.train = train;
        this.test = test;
        this.backend = backend;
        this.o = o;
        this.err = err;
    }

    int run() {
        Graph dense = src.graph();
        StructuredPruneConfig config = cmd.request.structuredConfig(cmd.sparsity, dense, targets);
        boolean gradual = cmd.request.gradual();
        FilterCriterion criterion = cmd.request.channelCriterion(train, backend);
        o.printf(Locale.ROOT, "model     %s%n", src.describe(cmd.seed));
        Evaluator eval = new Evaluator(backend, 256);
        EvalResult before = eval.evaluate(dense, test);
        Graph pruned;
        EvalResult last;
        if (gradual) {
            StructuredPruneResult r = gradual(dense, config, criterion, eval, before);
            pruned = r.pruned();
            last = recalibrate(pruned, eval, before, eval.evaluate(pruned, test));
        } else {
            StructuredPruneResult r = StructuredPruner.prune(dense, config, criterion);
            pruned = r.pruned();
            r.report().lines().forEach(l -> o.println("prune     " + l));
            EvalResult cut = eval.evaluate(pruned, test);
            o.printf(Locale.ROOT, "accuracy  dense %s, pruned %s before fine-tuning (%+.2f points)%n", CliSupport.percent(before.accuracy()),
                    CliSupport.percent(cut.accuracy()), 100 * (cut.accuracy() - before.accuracy()));
            o.flush();
            last = recalibrate(pruned, eval, before, cut);
            if (cmd.finetuneEpochs > 0) {
                fineTune(pruned, null);
                last = eval.evaluate(pruned, test);
                o.printf(Locale.ROOT, "accuracy  pruned %s after %d fine-tuning epoch(s)%s (%+.2f points vs dense)%n", CliSupport.percent(last.accuracy()),
                        cmd.finetuneEpochs, cmd.teacherOptions == null ? "" : " with teacher", 100 * (last.accuracy() - before.accuracy()));
            }
        }
        printSpeed(dense, pruned);
        Map<String, Object> results = cmd.results(src, before, pruned.parameterCount());
        results.put("dense_parameters", dense.parameterCount());
        results.put("accuracy", last.accuracy());
        results.put("out", cmd.out == null ? null : cmd.out.toString());
        cmd.json.print(results);
        if (cmd.out == null) {
            err.println("nncompress: note: the pruned model was not saved (no --out FILE)");
            return Main.EXIT_OK;
        }
        Map<String, String> prov = cmd.provenance(src);
        prov.put("test_accuracy", String.format(Locale.ROOT, "%.6f", last.accuracy()));
        prov.put("bn_recalibrate", Integer.toString(bnImages()));
        prov.put("channel_criterion", criterion.name());
        if (cmd.teacherOptions != null) {
            Map<String, Object> cfg = new LinkedHashMap<>();
            cmd.teacherOptions.putConfig(cfg);
            prov.put("teacher", cmd.teacherOptions.isDense() ? "dense (" + src.spec() + " before pruning)" : cmd.teacherOptions.file);
            prov.put("teacher_config", cfg.toString());
        }
        ModelIO.save(pruned, cmd.out, Provenance.collect(prov));
        o.printf(Locale.ROOT, "wrote     %s (%s parameters, dense %s)%n", cmd.out, CliSupport.grouped(pruned.parameterCount()),
                CliSupport.grouped(dense.parameterCount()));
        return Main.EXIT_OK;
    }

    /**
     * Fine-tunes {@code graph} (the cut model, or the full-width copy that {@code hook} masks) with the command's
     * optimiser, LR schedule and --teacher, if any.
     */
    private void fineTune(Graph graph, StepHook hook) {
        TrainConfig c = trainConfig();
        TeacherOptions t = cmd.teacherOptions;
        // the teacher: the model before pruning (the dense graph, untouched by surgery and masks) or a file; opened and checked against the student
        try (TeacherOptions.Teacher teacher = t == null ? null : t.open(t.isDense() ? src : teacherFile, graph, backend, cmd.int8Option, err);
             DistillationLoss kd = teacher == null ? null : distillation(teacher, c)) {
            StepHook h = hook == null ? StepHook.NONE : hook;
            Trainer trainer = kd == null ? new Trainer(backend, c, h) : new Trainer(backend, c, h, kd);
            try (Progress progress = new Progress(Progress.detect(cmd.main.quiet), err, "epoch")) {
                trainer.withCheckpoints(cmd.checkpoints).fit(graph, train, test, progress);
            }
        }
        CheckpointOptions.summary(cmd.checkpoints, err);
    }

    private TrainConfig trainConfig() {
        return cmd.request.fineTuning(cmd.seed);
    }

    /**
     * --prune-schedule cubic|iterative: channels masked progressively while a full-width copy of the dense model fine-tunes,
     * then cut out; prints the masked model's accuracy and the cut one's (the same up to float summation order).
     */
    private StructuredPruneResult gradual(Graph dense, StructuredPruneConfig config, FilterCriterion criterion, Evaluator eval, EvalResult before) {
        long total = (long) Batches.of(train, cmd.batchSize).batchCount() * cmd.finetuneEpochs;
        GradualStructuredPruner.Plan plan = cmd.request.gradualPlan(total);
        GradualStructuredPruner.Allocation allocation = cmd.request.allocation();
        o.printf(Locale.ROOT, "prune     %s of %s, %s, %s, during fine-tuning; dense %s%n", CliSupport.percent(cmd.sparsity),
                allocation == GradualStructuredPruner.Allocation.PER_GROUP ? "every prunable channel group"
                        : "all prunable channels, allocated globally by score / group mean"
                        + (allocation == GradualStructuredPruner.Allocation.BANDED ? " within a band around uniform" : ""),
                criterion.name(), plan.describe(), CliSupport.percent(before.accuracy()));
        o.flush();
        try (GradualStructuredPruner pruner = new GradualStructuredPruner(backend, dense, config, criterion, plan, allocation)) {
            fineTune(pruner.graph(), pruner.hook());
            StructuredPruneResult r = pruner.finish();
            r.report().lines().forEach(l -> o.println("prune     " + l));
            EvalResult masked = eval.evaluate(pruner.graph(), test);
            EvalResult cut = eval.evaluate(r.pruned(), test);
            o.printf(Locale.ROOT, "accuracy  masked %s, cut %s after %d fine-tuning epoch(s)%s (%+.2f points vs dense)%n",
                    CliSupport.percent(masked.accuracy()), CliSupport.percent(cut.accuracy()), cmd.finetuneEpochs,
                    cmd.teacherOptions == null ? "" : " with teacher", 100 * (cut.accuracy() - before.accuracy()));
            o.flush();
            return r;
        }
    }

    private int bnImages() { return cmd.request.bnImages(); }

    /**
     * --bn-recalibrate: the pruned model's BN statistics re-estimated from the first N training images at the
     * fine-tuning batch size, and its accuracy then; returns the evaluation fine-tuning starts from.
     */
    private EvalResult recalibrate(Graph pruned, Evaluator eval, EvalResult dense, EvalResult cut) {
        int n = Math.min(bnImages(), train.count());
        if (n == 0 || BatchNormRecalibration.batchNorms(pruned) == 0) return cut;
        long t0 = System.nanoTime();
        int used = BatchNormRecalibration.recalibrate(pruned, backend, train.slice(0, n), cmd.batchSize);
        double seconds = (System.nanoTime() - t0) / 1e9;
        EvalResult r = eval.evaluate(pruned, test);
        o.printf(Locale.ROOT, "accuracy  pruned %s after BN recalibration on %s training images, %d batch norms, %.1f s (%+.2f points vs dense)%n",
                CliSupport.percent(r.accuracy()), CliSupport.grouped(used), BatchNormRecalibration.batchNorms(pruned), seconds,
                100 * (r.accuracy() - dense.accuracy()));
        o.flush();
        return r;
    }

    /** The response-distillation loss of --teacher, announced in one line (a cached teacher's time in a second). */
    private DistillationLoss distillation(TeacherOptions.Teacher teacher, TrainConfig c) {
        TeacherOptions t = cmd.teacherOptions;
        o.printf(Locale.ROOT, "finetune  with teacher %s, %s%n", t.isDense() ? "dense (the model before pruning)" : teacher.source().describe(cmd.seed),
                t.describe());
        DistillationLoss loss = t.responseLoss(teacher, train, c.batchSize(), note -> o.println("finetune  " + note));
        o.flush();
        return loss;
    }

    /** Dense and pruned inference, batch 256, alternating rounds in this run: the speedup a user gets. */
    private void printSpeed(Graph dense, Graph pruned) {
        float[] images = test.slice(0, Math.min(256, test.count())).images();
        int batch = images.length / dense.inputShape().numel();
        double d = Throughput.inference(dense, backend, images, batch, 3, 0.3).imagesPerSecond();
        double p = Throughput.inference(pruned, backend, images, batch, 3, 0.3).imagesPerSecond();
        o.printf(Locale.ROOT, "speed     inference batch %d: dense %,.0f img/s, pruned %,.0f img/s (%.2fx) on %s%n", batch, d, p, p / d, backend.name());
    }
}
