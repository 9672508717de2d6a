package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.prune.ImportanceCriterion;
import dev.nncompress.compress.prune.PruneConfig;
import dev.nncompress.compress.PruneRequest;
import dev.nncompress.compress.prune.PruneResult;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.prune.UnstructuredPruner;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.DataRequest;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.Provenance;
import dev.nncompress.tensor.NmPattern;
import dev.nncompress.train.Check;
import dev.nncompress.train.Checkpointing;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.util.Seeds;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code nncompress prune}: unstructured pruning of a float model (criterion, global or per-layer threshold,
 * one-shot / iterative / cubic schedule) with masked fine-tuning; prints per-layer sparsity, the accuracy of
 * every stage and the file size dense vs pruned, and writes the pruned model (sparse weights as bitmask +
 * values) with --out.
 */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Prune a model's conv and linear weights (unstructured): score every weight, zero the least important, "
                + "fine-tune with the zeros held, and report per-layer sparsity, test accuracy before and after fine-tuning "
                + "and the model file's size dense vs pruned.",
                "Example: nncompress prune student.safetensors --method magnitude --scope global --sparsity 0.9 --finetune-epochs 1 --out pruned.safetensors",
                "N:M:    nncompress prune student.safetensors --nm 2:4 --finetune-epochs 1 --out student-24.safetensors",
                "Layers: nncompress prune student.safetensors --sensitivity --sensitivity-levels 0.5,0.9 --report sens.json"})
final class PruneCommand implements Callable<Integer> {
    // the option types and every mode rule are PruneRequest's, shared with the recipe's prune stage
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file, or a built-in name (untrained; for smoke tests).")
    String model;

    @Option(names = "--method", defaultValue = "magnitude", paramLabel = "magnitude|activation|taylor",
            description = "Importance: |w|, |w| x mean |input activation|, or |w x dL/dw| (default: ${DEFAULT-VALUE}).")
    PruneRequest.Method method;

    @Option(names = "--scope", defaultValue = "global", paramLabel = "global|layer",
            description = "One threshold over all pruned layers, or the same sparsity in each layer (default: ${DEFAULT-VALUE}).")
    PruneRequest.Scope scope;

    @Option(names = "--structured", description = "Remove whole conv filters/channels and hidden neurons of linear layers (with every "
            + "layer that reads them) and rebuild a smaller dense model: --sparsity is the fraction of each channel group's filters "
            + "and of each hidden layer's neurons removed (never the classifier's outputs); --method magnitude ranks them by L1 "
            + "norm, activation by APoZ (zeros after ReLU on --calib images). With --prune-schedule cubic or iterative the channels are "
            + "masked progressively while fine-tuning and cut out at the end.")
    boolean structured;

    @Option(names = "--bn-recalibrate", paramLabel = "N", description = "With --structured: re-estimate every batch norm's running "
            + "mean and variance of the pruned model from N training images before fine-tuning (adaptive BN, Li et al. 2020: "
            + "training-mode forwards, no weight update); 0 disables (default: " + StructuredPruneRun.DEFAULT_BN_RECALIBRATE + ").")
    Integer bnRecalibrate;

    // with --structured: distillation during fine-tuning, from a file or from the model before pruning (--teacher dense)
    @ArgGroup(exclusive = false, multiplicity = "0..1", heading = "With --structured, fine-tune with a teacher's soft targets "
            + "(--teacher dense: the model before pruning):%n")
    TeacherOptions teacherOptions;

    @Option(names = "--linear-sparsity", paramLabel = "S", description = "With --structured: fraction of the hidden neurons of linear "
            + "layers removed instead of --sparsity, in [0, 1); 0 prunes conv channels only (default: --sparsity).")
    Double linearSparsity;

    @Option(names = "--sparsity", paramLabel = "S", description = "Fraction of the pruned layers' weights to zero, in [0, 1) (required unless --nm or --sensitivity).")
    Double sparsity;

    @Option(names = "--nm", paramLabel = "N:M", description = "N:M semi-structured sparsity instead of --sparsity (e.g. 2:4, M <= 8): in every group of M "
            + "consecutive weights along each row (linear: an output's inputs; conv: a filter's C*kH*kW) keep the N most important; "
            + "one-shot, masks held while fine-tuning; stored in a compressed N:M layout when smaller.")
    String nm;

    @Option(names = "--sensitivity", description = "Instead of pruning: for each layer alone and each --sensitivity-levels sparsity, prune that "
            + "layer only (by --method), evaluate without fine-tuning, restore it; print the table and, with --report, write it as JSON.")
    boolean sensitivity;

    @Option(names = "--sensitivity-levels", split = ",", paramLabel = "S", defaultValue = "0.5,0.7,0.9,0.95",
            description = "Sparsity levels of --sensitivity, each in [0, 1) (default: ${DEFAULT-VALUE}).")
    List<Double> sensitivityLevels;

    // nncompress sweep --sensitivity prune (spark/) lists the layers with it, then scans each alone with --layers
    @Option(names = "--list-sensitivity-layers", description = "With --sensitivity: print the layers the scan measures (with --json, "
            + "{\"sensitivity_layers\": [...]}) and stop.")
    boolean listSensitivityLayers;

    @Option(names = "--report", paramLabel = "FILE.json", description = "With --sensitivity: write the table as JSON here (atomic).")
    Path report;

    @Option(names = "--prune-schedule", defaultValue = "oneshot", paramLabel = "oneshot|iterative|cubic",
            description = "Prune once then fine-tune; --prune-rounds rounds of prune + fine-tune; or gradually during fine-tuning "
                    + "(cubic, Zhu & Gupta 2017) (default: ${DEFAULT-VALUE}).")
    PruneRequest.Schedule schedule;

    @Option(names = "--prune-rounds", defaultValue = "3", paramLabel = "K", description = "Rounds of the iterative schedule (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--update-every", defaultValue = "50", paramLabel = "STEPS", description = "Steps between mask updates of the cubic schedule (default: ${DEFAULT-VALUE}).")
    int updateEvery;

    @Option(names = "--ramp", paramLabel = "F", description = "Cubic schedule: fraction of the fine-tuning steps over which sparsity rises to "
            + "--sparsity, in (0, 1]; the rest trains at it (default: " + PruneRequest.DEFAULT_RAMP + "; with --structured " + StructuredPruneRun.DEFAULT_RAMP + ").")
    Double ramp;

    @Option(names = "--channel-score", paramLabel = "l1|group-l2|bn-gamma|taylor", completionCandidates = Choices.ChannelScores.class, description = "With --structured --method magnitude: how "
            + "channels are ranked: L1 norm of their filters, L2 norm over every coupled slice (filters, BN gamma/beta, reader columns), "
            + "|BN gamma|, or (sum of w*dL/dw over those slices)^2 averaged over the steps before each update (gradual schedules only) (default: l1; with a gradual --prune-schedule " + StructuredPruneRun.DEFAULT_GRADUAL_SCORE + ").")
    String channelScore;

    @Option(names = "--channel-allocation", paramLabel = "uniform|global|banded", description = "With --structured and a gradual --prune-schedule: "
            + "every channel group loses --sparsity of its channels (uniform, the one-shot cut's structure), or the network's "
            + "lowest-scoring channels go, each score divided by its group's mean, the same total count (global; a group keeps at "
            + "least half of its uniform count; banded: and at most halfway from its uniform count to all its channels, "
            + "closer to uniform's multiply-adds) (default: uniform).")
    PruneRequest.ChannelAllocation channelAllocation;

    @Option(names = "--finetune-epochs", defaultValue = "1", paramLabel = "N", description = "Fine-tuning epochs, 0 for none (default: ${DEFAULT-VALUE}).")
    int finetuneEpochs;

    @Option(names = "--layers", split = ",", paramLabel = "NODE", description = "Prune only these conv/linear layers (default: all of them).")
    List<String> layers = List.of();

    @Option(names = "--calib", defaultValue = "512", paramLabel = "N", description = "Training images scored by activation and taylor (default: ${DEFAULT-VALUE}).")
    int calib;

    @Option(names = "--lr", defaultValue = "0.01", paramLabel = "LR", description = "Fine-tuning learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--optimizer", defaultValue = "sgd", paramLabel = "sgd|adamw",
            description = "Fine-tuning optimiser: SGD with momentum 0.9, or AdamW (default: ${DEFAULT-VALUE}).")
    PruneRequest.FineTuneOptimizer optimizer;

    @Option(names = "--weight-decay", defaultValue = "0", paramLabel = "WD",
            description = "Fine-tuning weight decay in [0, 1]: L2 for sgd, decoupled for adamw (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--lr-schedule", defaultValue = "constant", paramLabel = "SPEC",
            description = "Fine-tuning learning-rate schedule, as train's: constant, step:EVERY:GAMMA or cosine[:MINLR] (default: ${DEFAULT-VALUE}).")
    String lrSchedule;

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

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write the pruned model here (safetensors, sparse weights as bitmask + values; atomic).")
    Path out;

    @Mixin
    BackendOption backendOption;

    @Mixin
    CheckpointOptions checkpointOptions;

    @Mixin
    Int8Option int8Option; // an int8 --teacher file's kernels

    /** Set in {@link #call()}: the options as the request the recipe's prune stage builds too, validated. */
    PruneRequest request;
    @Mixin
    JsonOption json;

    /** Set in {@link #call()}: this run's checkpointing of fine-tuning, or null. */
    Checkpointing checkpoints;

    /** Set in {@link #call()}: what the model was given as input, for the pruned file's provenance. */
    DataContract dataContract;

    @Override
    public Integer call() {
        // everything typed is checked before any model or image is loaded; the mode rules are PruneRequest's, as the recipe's
        OptionSpelling<PruneRequest.Field> sp = new OptionSpelling<>(spec, PruneRequest.Field.class);
        request = new PruneRequest(method, sp.given(PruneRequest.Field.SCOPE) ? scope : null, sparsity, nm, structured, linearSparsity, bnRecalibrate,
                schedule, rounds, updateEvery, ramp, channelScore, channelAllocation, finetuneEpochs, lr, optimizer, weightDecay, lrSchedule, batchSize, layers, calib);
        NmPattern pattern = checkModes(sp);
        if (teacherOptions != null) {
            if (!structured) throw new IllegalArgumentException("--teacher distills during --structured fine-tuning; add --structured");
            if (finetuneEpochs == 0) throw new IllegalArgumentException("--teacher guides fine-tuning; give --finetune-epochs N > 0 with it");
            teacherOptions.response(); // its own options' usage errors, before anything is loaded
        }
        if (limit != null) Check.positive("--train-limit", limit);
        if (testLimit != null) Check.positive("--test-limit", testLimit);
        if (out != null) CliSupport.checkWritable("--out", out);
        if (report != null) CliSupport.checkWritable("--report", report);
        data.check();
        backendOption.check();
        checkpointOptions.check(spec, !sensitivity && finetuneEpochs > 0 && !(schedule == PruneRequest.Schedule.iterative && rounds > 1 && !structured),
                sensitivity ? "--sensitivity does not train" : finetuneEpochs == 0 ? "--finetune-epochs 0 does not train"
                        : "it covers one fine-tuning run, and --prune-schedule iterative runs " + rounds + " (use oneshot or cubic)");

        PrintWriter o = json.text();
        PrintWriter err = spec.commandLine().getErr();
        ModelSource.Read read = ModelSource.read(model, seed).requireFloat(); // before the backend: a bad file is one error line
        ModelSource.Read teacherRead = teacherOptions == null || teacherOptions.isDense() ? null : teacherOptions.read(seed);
        checkpoints = checkpointOptions.open(spec, o, err);
        // --layers is checked before any image is read; the data before the backend: a bad file is one error line
        DataBinding.Prepared prepared = DataBinding.prepare(data, read, limit == null ? DataRequest.ALL : limit,
                testLimit == null ? DataRequest.ALL : testLimit, m -> targets(m.graph()), teacherRead == null ? null : teacherRead.inspect());
        try (Backend backend = backendOption.create(err)) {
            DataBinding.Bound bound = prepared.on(backend);
            ModelSource src = bound.model();
            Graph g = src.graph();
            PruneTargets targets = targets(g);
            Dataset train = bound.train();
            Dataset test = bound.test();
            dataContract = bound.contract();
            bound.describe(o);
            if (sensitivity) return new PruneSensitivityRun(this, src, targets, criterion(train, backend), test, backend, o).run();
            if (structured) return new StructuredPruneRun(this, src, teacherRead == null ? null : teacherRead.on(backend), targets, train, test, backend, o, err).run();
            return run(src, g, targets, train, test, backend, o, err, pattern);
        }
    }

    /**
     * Which of the four modes (threshold, --nm, --structured, --sensitivity) the options ask for, and that they do
     * not mix: N:M fixes the sparsity and is per group; sensitivity scans its own levels. Returns the N:M pattern or null.
     */
    private NmPattern checkModes(OptionSpelling<PruneRequest.Field> sp) {
        var parsed = spec.commandLine().getParseResult();
        if (sensitivity) {
            if (structured || nm != null) throw new IllegalArgumentException("--sensitivity measures unstructured pruning one layer at a time; drop " + (structured ? "--structured" : "--nm"));
            if (sparsity != null) throw new IllegalArgumentException("--sensitivity scans --sensitivity-levels; drop --sparsity");
            if (out != null) throw new IllegalArgumentException("--sensitivity restores every layer and writes no model; use --report FILE.json, not --out");
            if (sensitivityLevels.isEmpty()) throw new IllegalArgumentException("--sensitivity-levels needs at least one level");
            for (double l : sensitivityLevels) Check.range("--sensitivity-levels", l, 0, 1, false);
            return request.validateExceptTarget(sp); // the scan chooses its own levels
        }
        if (report != null) throw new IllegalArgumentException("--report writes the --sensitivity table; add --sensitivity");
        if (listSensitivityLayers) throw new IllegalArgumentException("--list-sensitivity-layers lists the --sensitivity scan's layers; add --sensitivity");
        if (parsed.hasMatchedOption("--sensitivity-levels")) throw new IllegalArgumentException("--sensitivity-levels needs --sensitivity");
        if (nm == null && sparsity == null) throw new IllegalArgumentException("Missing required option: '--sparsity=S' (or --nm N:M, or --sensitivity)");
        return request.validate(sp);
    }

    private PruneTargets targets(Graph g) { return request.targets(g, new OptionSpelling<>(spec, PruneRequest.Field.class)); }

    private int run(ModelSource src, Graph g, PruneTargets targets, Dataset train, Dataset test, Backend backend, PrintWriter o, PrintWriter err,
                    NmPattern pattern) {
        Map<String, String> prov = provenance(src);
        TrainConfig finetune = request.fineTuning(seed);
        PruneConfig config = request.unstructuredConfig(criterion(train, backend), sparsity == null ? 0 : sparsity, finetune);

        long weights = 0;
        for (String w : targets.weights()) weights += g.param(w).value().numel();
        o.printf(Locale.ROOT, "model     %s%n", src.describe(seed));
        String how = pattern != null ? String.format(Locale.ROOT, "%s, N:M %s (keep %d of every %d along each row) of", method, pattern, pattern.n(), pattern.m())
                : String.format(Locale.ROOT, "%s, %s, %s of", method, scope, CliSupport.percent(sparsity));
        o.printf(Locale.ROOT, "prune     %s %s weights in %s; schedule %s%s; %s%n", how,
                CliSupport.grouped(weights), String.join(", ", targets.layers()), schedule, scheduleDetail(),
                finetune == null ? "no fine-tuning" : "fine-tune " + finetuneEpochs + (finetuneEpochs == 1 ? " epoch" : " epochs")
                        + " on " + CliSupport.grouped(train.count()) + " images (sgd lr " + (float) lr + " momentum 0.9, batch " + batchSize + ")");
        o.flush();
        EvalResult dense = new dev.nncompress.train.Evaluator(backend, 256).evaluate(g, test);
        o.printf(Locale.ROOT, "accuracy  dense %s on %s test images%n", CliSupport.percent(dense.accuracy()), CliSupport.grouped(dense.count()));
        o.flush();

        PruneResult result;
        try (Progress progress = new Progress(Progress.detect(main.quiet), err, "epoch")) {
            result = new UnstructuredPruner(backend, config).withCheckpoints(checkpoints).withProgress(progress.console()).prune(g, targets, train, test, progress);
        }
        CheckpointOptions.summary(checkpoints, err);
        for (PruneResult.Stage s : result.stages()) {
            o.printf(Locale.ROOT, "accuracy  %s %s (sparsity %s, %+.2f points vs dense)%n", s.label(), CliSupport.percent(s.eval().accuracy()),
                    CliSupport.percent(s.sparsity()), 100 * (s.eval().accuracy() - dense.accuracy()));
        }
        printLayers(g, PruneTargets.all(g), o); // all conv/linear layers, so that unpruned ones show their (natural) zeros too

        PruneResult.Stage last = result.stages().get(result.stages().size() - 1);
        prov.put("test_accuracy", String.format(Locale.ROOT, "%.6f", last.eval().accuracy()));
        prov.put("sparsity", String.format(Locale.ROOT, "%.6f", result.masks().sparsity()));
        Map<String, String> finalProv = Provenance.collect(prov);
        long denseBytes = ModelIO.fileSize(g, finalProv, false);
        long prunedBytes = ModelIO.fileSize(g, finalProv, true);
        o.printf(Locale.ROOT, "size      dense file %s bytes, pruned file %s bytes (%.2fx smaller)%n", CliSupport.grouped(denseBytes),
                CliSupport.grouped(prunedBytes), (double) denseBytes / prunedBytes);
        Map<String, Object> results = results(src, dense, g.parameterCount());
        List<Map<String, Object>> stages = new ArrayList<>();
        for (PruneResult.Stage s : result.stages()) stages.add(Map.of("stage", s.label(), "accuracy", s.eval().accuracy(), "sparsity", s.sparsity()));
        results.put("stages", stages);
        results.put("accuracy", last.eval().accuracy());
        results.put("sparsity", result.masks().sparsity());
        results.put("dense_file_bytes", denseBytes);
        results.put("pruned_file_bytes", prunedBytes);
        results.put("out", out == null ? null : out.toString());
        json.print(results);
        if (out == null) {
            err.println("nncompress: note: the pruned model was not saved (no --out FILE)");
            return Main.EXIT_OK;
        }
        ModelIO.save(g, out, finalProv);
        try {
            o.printf(Locale.ROOT, "wrote     %s (%s bytes)%n", out, CliSupport.grouped(Files.size(out)));
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": " + e.getMessage(), e);
        }
        return Main.EXIT_OK;
    }

    /** The start of --json's object in every mode that prunes: the model and the dense accuracy it is measured against. */
    Map<String, Object> results(ModelSource src, EvalResult dense, long parameters) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", src.describe(seed));
        r.put("parameters", parameters);
        r.put("test_images", dense.count());
        r.put("dense_accuracy", dense.accuracy());
        return r;
    }

    ImportanceCriterion criterion(Dataset train, Backend backend) { return request.criterion(train, backend); }

    private String scheduleDetail() {
        return switch (schedule) {
            case oneshot -> "";
            case iterative -> " (" + rounds + " rounds)";
            case cubic -> " (masks every " + updateEvery + " steps over the first " + String.format(Locale.ROOT, "%.0f%%", 100 * (ramp == null ? PruneRequest.DEFAULT_RAMP : ramp)) + " of fine-tuning)";
        };
    }

    private static void printLayers(Graph g, PruneTargets targets, PrintWriter o) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"layer", "weights", "zeros", "sparsity"});
        for (var e : UnstructuredPruner.measuredSparsity(g, targets).entrySet()) {
            long n = g.param(e.getKey()).value().numel();
            rows.add(new String[] {e.getKey().substring(0, e.getKey().lastIndexOf('.')), CliSupport.grouped(n),
                    CliSupport.grouped(Math.round(e.getValue() * n)), CliSupport.percent(e.getValue())});
        }
        int[] width = new int[4];
        for (String[] r : rows) for (int i = 0; i < 4; i++) width[i] = Math.max(width[i], r[i].length());
        for (String[] r : rows) {
            o.printf(Locale.ROOT, "  %-" + width[0] + "s  %" + width[1] + "s  %" + width[2] + "s  %" + width[3] + "s%n", (Object[]) r);
        }
    }

    Map<String, String> provenance(ModelSource src) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("command", main.commandLine());
        p.put("task", "prune");
        p.put("model", src.graph().name());
        p.put("source", src.spec());
        if (!src.builtIn() && src.provenance().containsKey("command")) p.put("source_command", src.provenance().get("command"));
        p.put("method", method.name());
        p.put("scope", scope.name());
        if (sparsity != null) p.put("target_sparsity", Double.toString(sparsity));
        if (linearSparsity != null) p.put("linear_sparsity", Double.toString(linearSparsity));
        if (nm != null) p.put("nm", nm.trim());
        p.put("schedule", schedule.name());
        if (ramp != null) p.put("ramp", Double.toString(ramp));
        if (channelScore != null) p.put("channel_score", channelScore);
        if (channelAllocation != null) p.put("channel_allocation", channelAllocation.name());
        p.put("structured", Boolean.toString(structured));
        p.put("layers", String.join(",", layers));
        p.put("finetune_epochs", Integer.toString(finetuneEpochs));
        p.put("lr_schedule", lrSchedule);
        p.put("optimizer", optimizer.name());
        p.put("lr", Double.toString(lr));
        p.put("weight_decay", Double.toString(weightDecay));
        p.put("seed", Long.toString(seed));
        if (dataContract != null) dataContract.putInto(p);
        CheckpointOptions.putProvenance(checkpoints, p);
        return p;
    }
}
