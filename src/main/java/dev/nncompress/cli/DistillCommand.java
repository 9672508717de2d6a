package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.distill.AttentionTransfer;
import dev.nncompress.compress.distill.DistillationLoss;
import dev.nncompress.compress.distill.FeatureLoss;
import dev.nncompress.compress.distill.HintLoss;
import dev.nncompress.compress.distill.ResponseDistillation;
import dev.nncompress.compress.prune.MaskingStepHook;
import dev.nncompress.compress.prune.PruneMasks;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.Provenance;
import dev.nncompress.tensor.Shape;
import dev.nncompress.train.Check;
import dev.nncompress.train.Checkpointing;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.Trainer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code nncompress distill}: trains a student on a dataset (Fashion-MNIST by default) with a frozen teacher (any float or int8 model
 * file), with the same optimiser, seed and data order as {@code train}, so the two are directly comparable.
 */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Knowledge distillation: train a student with a frozen teacher's soft targets (Hinton et al.), optionally",
                "with feature hints (FitNets, 1x1 adapter) or attention transfer between chosen layers.",
                "Same optimiser options and defaults (sgd lr 0.01 momentum 0.9, batch 64), seed and data order as 'train'.",
                "Example: nncompress distill student --teacher teacher.safetensors --epochs 3 --temperature 4 --alpha 0.5 --out student-kd.safetensors"})
final class DistillCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @ArgGroup(exclusive = false, multiplicity = "1") TeacherOptions teacherOptions;

    @Parameters(index = "0", paramLabel = "MODEL",
            description = "The student: a built-in model (student, lenet5, ...) to train from scratch, or a float model file to fine-tune.")
    String student;

    @Mixin TrainingOptions training;

    @Option(names = "--hint", paramLabel = "S[:T]", split = ",",
            description = "FitNets hint: match student layer S to teacher layer T (default T = S) through a learned 1x1 adapter. Repeatable.")
    List<String> hints = new ArrayList<>();

    @Option(names = "--attention", paramLabel = "S[:T]", split = ",",
            description = "Attention transfer between student layer S and teacher layer T (same H x W). Repeatable.")
    List<String> attention = new ArrayList<>();

    @Option(names = "--hint-weight", defaultValue = "1", paramLabel = "W", description = "Weight of each hint loss (default: ${DEFAULT-VALUE}).")
    double hintWeight;

    @Option(names = "--attention-weight", defaultValue = "1000", paramLabel = "W",
            description = "Weight of each attention loss (default: ${DEFAULT-VALUE}, the paper's beta).")
    double attentionWeight;

    @Option(names = "--keep-zeros", description = "Hold the student's zero weights at zero (fine-tuning an unstructured-pruned model).")
    boolean keepZeros;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Where to save the distilled student (.safetensors); written atomically.")
    Path out;

    @Mixin BackendOption backendOption;
    @Mixin Int8Option int8Option;
    @Mixin CheckpointOptions checkpointOptions;
    @Mixin JsonOption json;

    @Override
    public Integer call() {
        PrintWriter stdout = json.text();
        PrintWriter err = spec.commandLine().getErr();
        TrainConfig config = training.config();
        ResponseDistillation response = teacherOptions.response();
        Check.positive("--hint-weight", hintWeight);
        Check.positive("--attention-weight", attentionWeight);
        boolean features = !hints.isEmpty() || !attention.isEmpty();
        List<String[]> hintPairs = hints.stream().map(h -> pair("--hint", h)).toList();
        List<String[]> attentionPairs = attention.stream().map(a -> pair("--attention", a)).toList();
        if (out != null) CliSupport.checkWritable("--out", out);
        backendOption.check();
        checkpointOptions.check(spec, true, "");
        // the files first: a bad one is one error line, before any backend is created or announced
        ModelSource.Read teacherRead = teacherOptions.read(training.seed);
        ModelSource.Read studentRead = ModelSource.read(student, training.seed).requireFloat();
        if (features && teacherRead.isInt8()) {
            throw new IllegalArgumentException("--hint/--attention need the teacher's float feature maps; " + teacherRead.spec() + " is an int8 model");
        }
        Checkpointing checkpoints = checkpointOptions.open(spec, stdout, err);
        DataBinding.Prepared prepared = training.bind(studentRead, teacherRead.inspect()); // a bad data file is one error line too

        try (Backend backend = backendOption.create(err)) {
            ModelSource t = teacherRead.on(backend);
            DataBinding.Bound bound = prepared.on(backend);
            ModelSource s = bound.model();
            Dataset train = bound.train();
            Dataset test = bound.test();
            Graph graph = s.graph();
            try (TeacherOptions.Teacher teacher = teacherOptions.open(t, graph, backend, int8Option, err)) {
                stdout.printf(Locale.ROOT, "distilling teacher %s, %s parameters -> student %s, %s parameters; %s; %s train / %s test images; %s%n",
                        t.describe(training.seed), CliSupport.grouped(t.isInt8() ? t.int8().parameterCount() : t.graph().parameterCount()),
                        s.describe(training.seed), CliSupport.grouped(graph.parameterCount()), teacherOptions.describe(),
                        CliSupport.grouped(train.count()), CliSupport.grouped(test.count()), training.describe(config));
                bound.describe(stdout);
                DistillationLoss loss = features
                        ? featureLoss(response, t.graph(), graph, featureLosses(backend, t.graph(), graph, hintPairs, attentionPairs), backend, train,
                                config.batchSize(), stdout)
                        : teacherOptions.responseLoss(teacher, train, config.batchSize(), stdout::println);
                try (loss; MaskingStepHook hold = keepZeros ? new MaskingStepHook(backend, graph, PruneMasks.ofZeros(graph, PruneTargets.all(graph))) : null) {
                    if (hold != null) stdout.printf(Locale.ROOT, "holding %.1f%% zero weights at zero%n", 100 * hold.masks().sparsity());
                    stdout.flush();
                    Trainer trainer = new Trainer(backend, config, hold == null ? StepHook.NONE : hold, loss).withCheckpoints(checkpoints);
                    List<EpochStats> history = training.fit(trainer, graph, train, test, main.quiet, stdout, err);
                    CheckpointOptions.summary(checkpoints, err);
                    save(graph, s, t, backend, config, history.get(history.size() - 1), train, bound.contract(), checkpoints, stdout, err);
                    Map<String, Object> results = TrainingOptions.results(s.describe(training.seed), graph.parameterCount(), train, test, history, out);
                    results.put("teacher", t.describe(training.seed));
                    json.print(results);
                }
            }
        }
        return Main.EXIT_OK;
    }

    /**
     * With --cache-teacher the teacher runs once for its logits and attention maps (a hint is refused there: it needs
     * the whole teacher map, the message says how large); without, it runs every step.
     */
    private DistillationLoss featureLoss(ResponseDistillation response, Graph teacherGraph, Graph studentGraph, List<FeatureLoss> losses,
                                         Backend backend, Dataset train, int batchSize, PrintWriter stdout) {
        if (!teacherOptions.cacheTeacher) return DistillationLoss.withFeatures(response, teacherGraph, studentGraph, losses);
        DistillationLoss loss = DistillationLoss.withCachedFeatures(response, teacherGraph, studentGraph, losses, backend, train, batchSize);
        var cache = loss.featureCache();
        stdout.printf(Locale.ROOT, "cached teacher logits and attention maps for %s images (%.1f MB) in %.1f s (%.0f img/s)%n",
                CliSupport.grouped(cache.count()), cache.bytes() / 1e6, cache.seconds(), cache.count() / cache.seconds());
        return loss;
    }

    /** --hint and --attention pairs, checked by the loss against both graphs. */
    private List<FeatureLoss> featureLosses(Backend backend, Graph teacherGraph, Graph studentGraph, List<String[]> hintPairs, List<String[]> attentionPairs) {
        List<FeatureLoss> out = new ArrayList<>();
        Map<String, Shape> ts = teacherGraph.inferShapes();
        Map<String, Shape> ss = studentGraph.inferShapes();
        for (String[] p : hintPairs) {
            Shape sShape = ss.get(p[0]);
            Shape tShape = ts.get(p[1]);
            // a missing node or a non-map falls through to DistillationLoss's check, which names the nodes
            int sc = sShape == null || sShape.rank() != 3 ? 1 : sShape.dim(0);
            int tc = tShape == null || tShape.rank() != 3 ? 1 : tShape.dim(0);
            out.add(new HintLoss(p[0], p[1], sc, tc, hintWeight, backend, training.seed));
        }
        for (String[] p : attentionPairs) {
            out.add(new AttentionTransfer(p[0], p[1], attentionWeight));
        }
        return out;
    }

    private static String[] pair(String option, String spec) {
        String[] p = spec.split(":", -1);
        if (p.length > 2 || p[0].isBlank() || (p.length == 2 && p[1].isBlank())) {
            throw new IllegalArgumentException(option + " '" + spec + "': expected STUDENT_LAYER[:TEACHER_LAYER], e.g. conv2:conv3");
        }
        return new String[] {p[0].strip(), (p.length == 2 ? p[1] : p[0]).strip()};
    }

    private void save(Graph graph, ModelSource s, ModelSource t, Backend backend, TrainConfig config, EpochStats last, Dataset train,
                      DataContract contract, Checkpointing checkpoints, PrintWriter stdout, PrintWriter err) {
        if (out == null) {
            err.println("nncompress: note: the student was not saved (no --out FILE)");
            return;
        }
        Map<String, Object> cfg = new LinkedHashMap<>();
        teacherOptions.putConfig(cfg);
        cfg.put("hints", hints);
        cfg.put("attention", attention);
        if (!hints.isEmpty()) cfg.put("hint_weight", hintWeight);
        if (!attention.isEmpty()) cfg.put("attention_weight", attentionWeight);
        cfg.put("keep_zeros", keepZeros);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("command", main.commandLine());
        p.put("task", "distill");
        p.put("model", graph.name());
        p.put("init", s.builtIn() ? "built-in " + s.spec() + ", seed " + training.seed : "file " + s.spec());
        p.put("teacher", t.describe(training.seed));
        if (t.provenance().containsKey("command")) p.put("teacher_command", t.provenance().get("command"));
        p.put("seed", Long.toString(training.seed));
        p.put("config", training.configJson(config, cfg));
        p.put("backend", backend.name());
        p.put("backend_detail", backend.describe());
        contract.putInto(p);
        p.put("train_images", Integer.toString(train.count()));
        p.put("train_loss", String.format(Locale.ROOT, "%.6f", last.trainLoss()));
        if (last.eval() != null) p.put("test_accuracy", String.format(Locale.ROOT, "%.6f", last.eval().accuracy()));
        CheckpointOptions.putProvenance(checkpoints, p);
        ModelIO.save(graph, out, Provenance.collect(p));
        stdout.printf(Locale.ROOT, "saved %s (%s, test accuracy %s)%n", out, graph.name(),
                last.eval() == null ? "n/a" : CliSupport.percent(last.eval().accuracy()));
    }
}
