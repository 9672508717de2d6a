package dev.nncompress.pipeline;

import dev.nncompress.cli.ModelData;
import dev.nncompress.util.RequestSpelling;
import dev.nncompress.compress.prune.PruneConfig;
import dev.nncompress.compress.PruneRequest;
import dev.nncompress.compress.prune.PruneResult;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.prune.UnstructuredPruner;
import dev.nncompress.compress.prune.structured.FilterCriterion;
import dev.nncompress.compress.prune.structured.GradualStructuredPruner;
import dev.nncompress.compress.prune.structured.StructuredPruneConfig;
import dev.nncompress.compress.prune.structured.StructuredPruner;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.train.BatchNormRecalibration;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.Trainer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code stage: prune}: {@code nncompress prune}'s modes through the same library calls: unstructured (magnitude,
 * activation or taylor; global or per-layer; oneshot, iterative or cubic), N:M, or structured (whole filters and
 * neurons; one-shot, or gradual with channel masks while fine-tuning; BN recalibration), each with masked
 * fine-tuning. The keys are {@link PruneRequest}'s fields and its rules are the command's: one copy, in the request.
 */
record PruneStage(PruneRequest request) implements Stage {

    static PruneStage parse(RecipeObject s) {
        // every field of the request, by its key (the defaults are the command's; RecipeKeysTest compares them)
        PruneRequest r = new PruneRequest(
                s.choice("method", PruneRequest.Method.magnitude, PruneRequest.Method.class),
                s.choice("scope", null, PruneRequest.Scope.class),
                s.anyNumber("sparsity", null),
                s.string("nm", null),
                s.bool("structured", false),
                s.anyNumber("linear_sparsity", null),
                s.anyInt("bn_recalibrate", null),
                s.choice("schedule", PruneRequest.Schedule.oneshot, PruneRequest.Schedule.class),
                s.anyInt("rounds", 3),
                s.anyInt("update_every", 50),
                s.anyNumber("ramp", null),
                s.string("channel_score", null),
                s.choice("channel_allocation", null, PruneRequest.ChannelAllocation.class),
                s.anyInt("finetune_epochs", 1),
                s.anyNumber("lr", 0.01),
                s.choice("optimizer", PruneRequest.FineTuneOptimizer.sgd, PruneRequest.FineTuneOptimizer.class),
                s.anyNumber("weight_decay", 0.0),
                s.string("lr_schedule", "constant"),
                s.anyInt("batch_size", 64),
                s.strings("layers"),
                s.anyInt("calib", 512));
        r.validate(new RecipeSpelling<>(s));
        return new PruneStage(r);
    }

    @Override public String name() { return "prune"; }

    @Override public boolean hasBudget() { return true; }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = RequestSpelling.settings(request, PruneRequest.Field.class);
        if (request.nm() == null && !request.structured()) m.put("scope", request.effectiveScope().name());
        if (request.structured()) m.put("bn_recalibrate", request.bnImages());
        return m;
    }

    @Override
    public Outcome run(StageContext ctx, ModelState in, Path artefact) {
        Graph g = in.graph();
        RecipeSpelling<PruneRequest.Field> sp = RecipeSpelling.running();
        PruneTargets targets = request.targets(g, sp); // an unknown layer: reported at this stage
        TrainConfig finetune = request.fineTuning(ctx.recipe().seed());
        Double min = ctx.minAccuracy();
        // pruning works in place: the model before it, for the budget's retries at lower sparsity
        Graph before = min != null && request.nm() == null ? ModelData.copy(g, ctx.backend()) : null;
        Graph out = prune(ctx, g, targets, finetune, request);
        List<String> notes = new ArrayList<>();
        if (min != null) out = withinBudget(ctx, before, out, finetune, min, notes);
        ModelIO.save(out, artefact, ctx.provenance());
        return new Outcome(ModelState.of(out), ModelState.of(out), Map.of(), notes);
    }

    private Graph prune(StageContext ctx, Graph g, PruneTargets targets, TrainConfig finetune, PruneRequest r) {
        return r.structured() ? structured(ctx, g, targets, finetune, r) : unstructured(ctx, g, targets, finetune, r);
    }

    /**
     * The accuracy budget: when the pruned model is below {@code min}, the sparsity is bisected between 0 and the
     * recipe's, each attempt pruned and fine-tuned afresh from the model before the stage; kept is the highest
     * sparsity within budget, else the lowest tried (the report says the budget was not met).
     */
    private Graph withinBudget(StageContext ctx, Graph before, Graph pruned, TrainConfig finetune, double min, List<String> notes) {
        double reference = ctx.reference();
        double acc = ctx.accuracy(ModelState.of(pruned));
        String nm = request.nm();
        BudgetSearch.Try first = new BudgetSearch.Try(nm != null ? "nm " + nm : String.format(Locale.ROOT, "sparsity %.4f", request.sparsity()), acc, acc >= min);
        notes.add(first.line(reference));
        if (first.within()) return pruned;
        if (nm != null) {
            notes.add("budget: not met; N:M fixes the sparsity, there is nothing to bisect");
            return pruned;
        }
        Graph[] kept = {null};
        Graph[] last = {pruned};
        BudgetSearch.Result<Double> r = BudgetSearch.bisect(request.sparsity(), ctx.recipe().budget().bisectionSteps(), s -> {
            Graph copy = ModelData.copy(before, ctx.backend());
            last[0] = prune(ctx, copy, PruneTargets.of(copy, request.layers()), finetune, request.withSparsity(s));
            double a = ctx.accuracy(ModelState.of(last[0]));
            if (a >= min) kept[0] = last[0]; // bisection only moves up after a success: the last success is the highest
            return a;
        }, min);
        for (BudgetSearch.Try t : r.tries()) notes.add(t.line(reference));
        notes.add(r.met() ? String.format(Locale.ROOT, "budget: kept sparsity %.4f", r.kept())
                : "budget: not met; kept the lowest sparsity tried, " + r.tries().get(r.tries().size() - 1).what());
        return r.met() ? kept[0] : last[0];
    }

    private Graph unstructured(StageContext ctx, Graph g, PruneTargets targets, TrainConfig finetune, PruneRequest r) {
        PruneConfig config = r.unstructuredConfig(r.criterion(ctx.train(), ctx.backend()), r.sparsity() == null ? 0 : r.sparsity(), finetune);
        PruneResult result = new UnstructuredPruner(ctx.backend(), config).withProgress(ctx.progress()).prune(g, targets, ctx.train(), ctx.test(), ctx.epochs(r.finetuneEpochs()));
        for (PruneResult.Stage s : result.stages()) {
            ctx.note(String.format(Locale.ROOT, "%s: accuracy %.2f%% at sparsity %.2f%%", s.label(), 100 * s.eval().accuracy(), 100 * s.sparsity()));
        }
        return g;
    }

    /** As {@code prune --structured}: cut once then fine-tune, or (cubic, iterative) mask channels while fine-tuning and cut at the end. */
    private Graph structured(StageContext ctx, Graph dense, PruneTargets targets, TrainConfig finetune, PruneRequest r) {
        StructuredPruneConfig config = r.structuredConfig(r.sparsity(), dense, targets);
        Dataset train = ctx.train();
        FilterCriterion criterion = r.channelCriterion(train, ctx.backend());
        Graph pruned;
        if (r.gradual()) { // validated: finetune is not null
            long total = (long) Batches.of(train, r.batchSize()).batchCount() * r.finetuneEpochs();
            GradualStructuredPruner.Plan plan = r.gradualPlan(total);
            try (GradualStructuredPruner pruner = new GradualStructuredPruner(ctx.backend(), dense, config, criterion, plan, request.allocation())) {
                new Trainer(ctx.backend(), finetune, pruner.hook()).fit(pruner.graph(), train, ctx.test(), ctx.epochs(r.finetuneEpochs()));
                pruned = pruner.finish().pruned();
            }
            ctx.note(String.format(Locale.ROOT, "structured (%s, %s): %,d -> %,d parameters", criterion.name(), plan.describe(), dense.parameterCount(),
                    pruned.parameterCount()));
            recalibrate(ctx, pruned, r);
            return pruned;
        }
        pruned = StructuredPruner.prune(dense, config, criterion).pruned();
        ctx.note(String.format(Locale.ROOT, "structured (%s): %,d -> %,d parameters", criterion.name(), dense.parameterCount(), pruned.parameterCount()));
        recalibrate(ctx, pruned, r);
        if (finetune != null) new Trainer(ctx.backend(), finetune).fit(pruned, train, ctx.test(), ctx.epochs(r.finetuneEpochs()));
        return pruned;
    }

    /** The pruned model's batch-norm statistics re-estimated from the first bn_recalibrate training images (as the command does). */
    private static void recalibrate(StageContext ctx, Graph pruned, PruneRequest r) {
        int n = Math.min(r.bnImages(), ctx.train().count());
        if (n > 0 && BatchNormRecalibration.batchNorms(pruned) > 0) BatchNormRecalibration.recalibrate(pruned, ctx.backend(), ctx.train().slice(0, n), r.batchSize());
    }
}
