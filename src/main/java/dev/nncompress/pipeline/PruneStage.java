package dev.nncompress.pipeline;

import dev.nncompress.backend.Backend;
import dev.nncompress.cli.ModelData;
import dev.nncompress.compress.prune.ActivationCriterion;
import dev.nncompress.compress.prune.Calibration;
import dev.nncompress.compress.prune.ImportanceCriterion;
import dev.nncompress.compress.prune.MagnitudeCriterion;
import dev.nncompress.compress.prune.PruneConfig;
import dev.nncompress.compress.prune.PruneResult;
import dev.nncompress.compress.prune.PruneSchedule;
import dev.nncompress.compress.prune.PruneScope;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.prune.TaylorCriterion;
import dev.nncompress.compress.prune.UnstructuredPruner;
import dev.nncompress.compress.prune.structured.FilterCriterion;
import dev.nncompress.compress.prune.structured.StructuredPruneConfig;
import dev.nncompress.compress.prune.structured.StructuredPruner;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.tensor.NmPattern;
import dev.nncompress.train.BatchNormRecalibration;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.Trainer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code stage: prune}: {@code nncompress prune}'s modes through the same library calls: unstructured (magnitude,
 * activation or taylor; global or per-layer; oneshot, iterative or cubic), N:M, or structured (whole filters and
 * neurons, BN recalibration), each with masked SGD fine-tuning (momentum 0.9) as the command does.
 */
record PruneStage(String method, String scope, Double sparsity, String nm, boolean structured, Double linearSparsity, Integer bnRecalibrate,
                  String schedule, int rounds, int updateEvery, int finetuneEpochs, double lr, String lrSchedule, int batchSize, List<String> layers,
                  int calib) implements Stage {

    static PruneStage parse(RecipeObject s) {
        String method = s.choice("method", "magnitude", List.of("magnitude", "activation", "taylor"));
        String scope = s.choice("scope", null, List.of("global", "layer"));
        Double sparsity = s.number("sparsity", null, 0, 1, false);
        String nm = s.string("nm", null);
        boolean structured = s.bool("structured", false);
        Double linear = s.number("linear_sparsity", null, 0, 1, false);
        Integer bn = s.integer("bn_recalibrate", null, 0, Integer.MAX_VALUE);
        String schedule = s.choice("schedule", "oneshot", List.of("oneshot", "iterative", "cubic"));
        int rounds = s.integer("rounds", 3, 1, 1000);
        int updateEvery = s.integer("update_every", 50, 1, Integer.MAX_VALUE);
        int epochs = s.integer("finetune_epochs", 1, 0, 10_000);
        double lr = s.positive("lr", 0.01);
        String lrSchedule = s.string("lr_schedule", "constant");
        TrainingSpec.lrSchedule(s, "lr_schedule", lrSchedule);
        int batch = s.integer("batch_size", 64, 1, 1 << 16);
        List<String> layers = s.strings("layers");
        int calib = s.integer("calib", 512, 1, Integer.MAX_VALUE);
        // the command's mode rules (PruneCommand.checkModes), each naming the recipe key
        if (structured && method.equals("taylor")) throw s.errorAt("method", "structured pruning ranks filters by magnitude (L1) or activation (APoZ); taylor is for single weights");
        if (structured && !schedule.equals("oneshot")) throw s.errorAt("schedule", "structured pruning prunes once then fine-tunes; " + schedule + " is for single weights");
        if (bn != null && !structured) throw s.errorAt("bn_recalibrate", "re-estimates batch norms after structured pruning; add structured: true");
        if (linear != null && !structured) throw s.errorAt("linear_sparsity", "sets the neurons removed by structured pruning; add structured: true");
        if (nm != null) {
            if (structured) throw s.errorAt("nm", "prunes single weights in groups; it does not combine with structured: true");
            if (sparsity != null) throw s.errorAt("sparsity", "nm " + nm + " fixes the sparsity; drop sparsity");
            if (!schedule.equals("oneshot")) throw s.errorAt("schedule", "nm prunes once then fine-tunes; " + schedule + " is for sparsity");
            if (scope != null) throw s.errorAt("scope", "nm ranks within each group of M; scope does not apply");
            try {
                NmPattern.parse(nm);
            } catch (IllegalArgumentException e) {
                throw s.errorAt("nm", e.getMessage());
            }
        } else if (sparsity == null) {
            throw s.errorAt("sparsity", "is required (a fraction in [0, 1)), or give nm: N:M");
        }
        if (schedule.equals("cubic") && epochs == 0) throw s.errorAt("finetune_epochs", "must be >= 1 with schedule cubic (it prunes during fine-tuning)");
        return new PruneStage(method, scope == null ? "global" : scope, sparsity, nm, structured, linear, bn, schedule, rounds, updateEvery, epochs, lr,
                lrSchedule, batch, layers, calib);
    }

    @Override public String name() { return "prune"; }

    @Override public boolean hasBudget() { return true; }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method);
        m.put("structured", structured);
        if (nm != null) m.put("nm", nm);
        else m.put("sparsity", sparsity);
        if (!structured && nm == null) {
            m.put("scope", scope);
            m.put("schedule", schedule);
        }
        if (linearSparsity != null) m.put("linear_sparsity", linearSparsity);
        if (structured) m.put("bn_recalibrate", bnImages());
        m.put("finetune_epochs", finetuneEpochs);
        m.put("lr", lr);
        m.put("lr_schedule", lrSchedule);
        m.put("batch_size", batchSize);
        if (!layers.isEmpty()) m.put("layers", layers);
        return m;
    }

    @Override
    public Outcome run(StageContext ctx, ModelState in, Path artefact) {
        Graph g = in.graph();
        PruneTargets targets = PruneTargets.of(g, layers); // an unknown layer: IllegalArgumentException, reported at this stage
        TrainConfig finetune = finetuneEpochs == 0 ? null
                : new TrainConfig(finetuneEpochs, batchSize, new OptimizerConfig.Sgd((float) lr, 0.9f, 0f, false), LrSchedule.parse(lrSchedule),
                        ctx.recipe().seed());
        Double min = ctx.minAccuracy();
        // pruning works in place: the model before it, for the budget's retries at lower sparsity
        Graph before = min != null && nm == null ? ModelData.copy(g, ctx.backend()) : null;
        Graph out = prune(ctx, g, targets, finetune, sparsity == null ? 0 : sparsity);
        List<String> notes = new ArrayList<>();
        if (min != null) out = withinBudget(ctx, before, out, finetune, min, notes);
        ModelIO.save(out, artefact, ctx.provenance());
        return new Outcome(ModelState.of(out), ModelState.of(out), Map.of(), notes);
    }

    private Graph prune(StageContext ctx, Graph g, PruneTargets targets, TrainConfig finetune, double s) {
        return structured ? structured(ctx, g, targets, finetune, s) : unstructured(ctx, g, targets, finetune, s);
    }

    /**
     * The accuracy budget: when the pruned model is below {@code min}, the sparsity is bisected between 0 and the
     * recipe's, each attempt pruned and fine-tuned afresh from the model before the stage; kept is the highest
     * sparsity within budget, else the lowest tried (the report says the budget was not met).
     */
    private Graph withinBudget(StageContext ctx, Graph before, Graph pruned, TrainConfig finetune, double min, List<String> notes) {
        double reference = ctx.reference();
        double acc = ctx.accuracy(ModelState.of(pruned));
        BudgetSearch.Try first = new BudgetSearch.Try(nm != null ? "nm " + nm : String.format(Locale.ROOT, "sparsity %.4f", sparsity), acc, acc >= min);
        notes.add(first.line(reference));
        if (first.within()) return pruned;
        if (nm != null) {
            notes.add("budget: not met; N:M fixes the sparsity, there is nothing to bisect");
            return pruned;
        }
        Graph[] kept = {null};
        Graph[] last = {pruned};
        BudgetSearch.Result<Double> r = BudgetSearch.bisect(sparsity, ctx.recipe().budget().bisectionSteps(), s -> {
            Graph copy = ModelData.copy(before, ctx.backend());
            last[0] = prune(ctx, copy, PruneTargets.of(copy, layers), finetune, s);
            double a = ctx.accuracy(ModelState.of(last[0]));
            if (a >= min) kept[0] = last[0]; // bisection only moves up after a success: the last success is the highest
            return a;
        }, min);
        for (BudgetSearch.Try t : r.tries()) notes.add(t.line(reference));
        notes.add(r.met() ? String.format(Locale.ROOT, "budget: kept sparsity %.4f", r.kept())
                : "budget: not met; kept the lowest sparsity tried, " + r.tries().get(r.tries().size() - 1).what());
        return r.met() ? kept[0] : last[0];
    }

    private Graph unstructured(StageContext ctx, Graph g, PruneTargets targets, TrainConfig finetune, double sparsity) {
        ImportanceCriterion criterion = criterion(ctx.train(), ctx.backend());
        PruneConfig config = nm != null ? PruneConfig.nm(criterion, NmPattern.parse(nm), finetune)
                : new PruneConfig(criterion, scope.equals("global") ? PruneScope.GLOBAL : PruneScope.LAYER, sparsity,
                        PruneSchedule.valueOf(schedule.toUpperCase(Locale.ROOT)), rounds, updateEvery, 0.75, finetune);
        PruneResult r = new UnstructuredPruner(ctx.backend(), config).withProgress(ctx.progress()).prune(g, targets, ctx.train(), ctx.test(), ctx.epochs(finetuneEpochs));
        for (PruneResult.Stage s : r.stages()) {
            ctx.note(String.format(Locale.ROOT, "%s: accuracy %.2f%% at sparsity %.2f%%", s.label(), 100 * s.eval().accuracy(), 100 * s.sparsity()));
        }
        return g;
    }

    private Graph structured(StageContext ctx, Graph dense, PruneTargets targets, TrainConfig finetune, double sparsity) {
        StructuredPruneConfig config = StructuredPruneConfig.of(sparsity).withLinearSparsity(linearSparsity).withExclude(targets.untargeted(dense));
        Dataset train = ctx.train();
        FilterCriterion criterion = method.equals("activation")
                ? FilterCriterion.apoz(ctx.backend(), train.slice(0, Math.min(calib, train.count())).images(), 128) : FilterCriterion.l1();
        Graph pruned = StructuredPruner.prune(dense, config, criterion).pruned();
        ctx.note(String.format(Locale.ROOT, "structured: %,d -> %,d parameters", dense.parameterCount(), pruned.parameterCount()));
        int n = Math.min(bnImages(), train.count());
        if (n > 0 && BatchNormRecalibration.batchNorms(pruned) > 0) BatchNormRecalibration.recalibrate(pruned, ctx.backend(), train.slice(0, n), batchSize);
        if (finetune != null) new Trainer(ctx.backend(), finetune).fit(pruned, train, ctx.test(), ctx.epochs(finetuneEpochs));
        return pruned;
    }

    private int bnImages() { return bnRecalibrate == null ? ModelData.DEFAULT_BN_RECALIBRATE : bnRecalibrate; }

    private ImportanceCriterion criterion(Dataset train, Backend backend) {
        return switch (method) {
            case "activation" -> new ActivationCriterion(new Calibration(train.slice(0, Math.min(calib, train.count())), 128, backend));
            case "taylor" -> new TaylorCriterion(new Calibration(train.slice(0, Math.min(calib, train.count())), 128, backend));
            default -> new MagnitudeCriterion();
        };
    }
}
