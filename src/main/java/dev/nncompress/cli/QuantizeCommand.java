package dev.nncompress.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.compress.distill.DistillationLoss;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.prepare.PreparedGraph;
import dev.nncompress.compress.QuantizeRequest;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantPreset;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.calib.SensitivityReport;
import dev.nncompress.compress.quant.calib.SimulatedAccuracy;
import dev.nncompress.compress.quant.qat.QatResult;
import dev.nncompress.compress.quant.qat.QuantizationAwareTraining;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.DataRequest;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.io.AtomicFiles;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.Provenance;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.TrainListener;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.nncompress.train.Check;
import dev.nncompress.train.Checkpointing;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainingLoss;
import dev.nncompress.util.Seeds;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code nncompress quantize}: post-training calibration of a model with the simulated-int8 accuracy and
 * the per-layer sensitivity report; with {@code --out}, the conversion to an int8 model file, whose real
 * int8 accuracy (the int8 engine, not the simulation) is measured on the same test images.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Calibrate a model for int8 (post-training quantization): prepare (fold BN, fuse ReLU), observe activations "
                + "on training images, print the plan, the simulated-int8 vs float test accuracy and the per-layer sensitivity.",
                "With --out: convert to int8 (int8 weights + scales, activation scales and zero points), write the file and "
                        + "evaluate it with the int8 engine.",
                "With --qat-epochs N: after calibration, fine-tune with quantization-aware training and continue with its plan;",
                "with --teacher FILE as well, QAT also learns a frozen teacher's soft targets, as 'distill' does (--temperature, --alpha).",
                "Example: nncompress quantize student.safetensors --calib 1000 --observer minmax --out student-int8.safetensors"})
final class QuantizeCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file, or a built-in name (untrained; for smoke tests).")
    String model;

    @Option(names = "--calib", defaultValue = "1000", paramLabel = "N", description = "Calibration images from the training set (default: ${DEFAULT-VALUE}).")
    int calib;

    // default minmax, not kl: on a trained student (88.25% float, 1000 calibration images) minmax lost nothing
    // while kl clipped the bimodal input and the ReLU outputs hard (-2.3 points); see docs/quantization.md
    @Option(names = "--observer", defaultValue = "minmax", paramLabel = "NAME", completionCandidates = Choices.ObserverNames.class,
            description = "Activation observer: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String observer;

    // TensorRT's explicit quantisation takes only symmetric activations and weights in [-127, 127]; the default
    // keeps the affine activations (a ReLU output uses all 256 codes), see docs/onnx-export.md for what each scores
    @Option(names = "--preset", defaultValue = "default", paramLabel = "default|tensorrt",
            description = "Quantised form: default (affine activations) or tensorrt (symmetric activations with zero point 0, weights in [-127, 127]:"
                    + " what 'export --target tensorrt' needs; default: ${DEFAULT-VALUE}).")
    QuantPreset preset;

    @Option(names = "--exclude", split = ",", paramLabel = "NODE", description = "Keep these nodes in float (comma-separated node names of the prepared graph).")
    List<String> exclude = List.of();

    @Option(names = "--sample-seed", paramLabel = "SEED", description = "Draw the calibration images at random with this seed (default: the first N).")
    Long sampleSeed;

    @Option(names = "--test-limit", paramLabel = "N", description = "Compare simulated int8 and float on the first N test images (default: all).")
    Integer eval;

    @Option(names = "--sensitivity-images", defaultValue = "500", paramLabel = "N",
            description = "Test images for the per-layer sensitivity table (at most --test-limit; 0 skips it; default: ${DEFAULT-VALUE}).")
    int sensitivity;

    // nncompress sweep --sensitivity quantize (spark/) runs this command once per layer with these two
    @Option(names = "--sensitivity-layers", split = ",", paramLabel = "NODE", description = "Measure only these layers' sensitivity (default: all).")
    List<String> sensitivityLayers;

    @Option(names = "--list-sensitivity-layers", description = "After calibration: print the layers the sensitivity table measures (with --json, "
            + "{\"sensitivity_layers\": [...]}) and stop.")
    boolean listSensitivityLayers;

    @Option(names = "--report", paramLabel = "FILE.json", description = "Write the plan summary, accuracies and sensitivity table as JSON.")
    Path report;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Write the int8 model here (safetensors; atomic) and evaluate it with the int8 engine.")
    Path out;

    @Mixin
    DataOptions data;

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "N", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", defaultValue = "" + Seeds.DEFAULT, paramLabel = "SEED", description = "Initialisation seed when MODEL is a built-in name (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--qat-epochs", defaultValue = "0", paramLabel = "N",
            description = "Quantization-aware training epochs after calibration, starting from its ranges (0 = PTQ only; default: ${DEFAULT-VALUE}).")
    int qatEpochs;

    // train's rate, but decayed to 0 by cosine, so the last steps are small enough for the weights to settle on the
    // grid. A tenth of it (the usual fine-tuning advice for converged nets) was 0.2 points worse on students trained
    // 1 and 5 epochs, which are far from converged (docs/quantization.md, QAT)
    @Option(names = "--qat-lr", defaultValue = "0.01", paramLabel = "LR", description = "QAT learning rate, SGD momentum 0.9, cosine decay to 0 (default: ${DEFAULT-VALUE}).")
    double qatLr;

    @Option(names = "--qat-images", paramLabel = "N", description = "Run QAT on the first N training images (default: all).")
    Integer qatImages;

    // null without --teacher: plain QAT's cross-entropy
    @ArgGroup(exclusive = false, multiplicity = "0..1")
    TeacherOptions teacherOptions;

    @Mixin
    BackendOption backendOption;

    @Mixin
    Int8Option int8Option;

    @Mixin
    CheckpointOptions checkpointOptions;

    @Mixin
    JsonOption json;

    private Checkpointing checkpoints;

    /** Set in {@link #call()}: the model's data, normalised as the model expects. */
    private DataBinding.Bound bound;

    @Override
    public Integer call() {
        // the rules are QuantizeRequest's, as the recipe's quantize stage: usage errors before any loading
        OptionSpelling<QuantizeRequest.Field> sp = new OptionSpelling<>(spec, QuantizeRequest.Field.class);
        QuantizeRequest request = new QuantizeRequest(observer, preset.cliName(), calib, exclude, sampleSeed, qatEpochs, qatLr, qatImages, sensitivity, batchSize);
        request.validate(sp);
        if (eval != null) Check.positive("--test-limit", eval);
        if ((sensitivityLayers != null || listSensitivityLayers) && sensitivity == 0) {
            throw new IllegalArgumentException("--sensitivity-layers and --list-sensitivity-layers need the sensitivity table; drop --sensitivity-images 0");
        }
        checkQatOptions();
        backendOption.check();
        if (report != null) CliSupport.checkWritable("--report", report);
        if (out != null) CliSupport.checkWritable("--out", out);
        checkpointOptions.check(spec, qatEpochs > 0, "post-training quantization does not train; give --qat-epochs N");
        data.check();

        PrintWriter o = json.text();
        PrintWriter err = spec.commandLine().getErr();
        // the files first: a bad one is one error line, before any backend is created or announced
        ModelSource.Read read = ModelSource.read(model, seed).requireFloat();
        ModelSource.Read teacherRead = teacherOptions == null ? null : teacherOptions.read(seed);
        checkpoints = checkpointOptions.open(spec, o, err);
        // --exclude names nodes of the prepared graph: checked before any image is read (unknown node: usage error)
        DataBinding.Prepared dataPrepared = DataBinding.prepare(data, read, trainImages(), eval == null ? DataRequest.ALL : eval, m -> {
            PreparedGraph p = GraphPreparation.forInference(m.graph());
            try {
                request.targets(p.graph(), sp);
            } finally {
                for (Parameter q : p.graph().params().values()) q.value().close();
            }
        }, teacherRead == null ? null : teacherRead.inspect());
        try (Backend backend = backendOption.create(err)) {
            bound = dataPrepared.on(backend);
            PreparedGraph prepared = GraphPreparation.forInference(bound.model().graph());
            // opened and checked against the model before calibration, so that a mismatched teacher costs nothing
            try (TeacherOptions.Teacher teacher = teacherRead == null ? null
                    : teacherOptions.open(teacherRead.on(backend), prepared.graph(), backend, int8Option, err)) {
                return run(bound.model(), prepared, request.targets(prepared.graph(), sp), teacher, backend, o);
            } finally {
                for (Parameter p : prepared.graph().params().values()) p.value().close();
            }
        }
    }

    /** Training images to read: the first --calib (and --qat-images), or all when they are drawn at random or QAT takes all. */
    private int trainImages() {
        if (sampleSeed != null || (qatEpochs > 0 && qatImages == null)) return DataRequest.ALL;
        return Math.max(calib, qatEpochs > 0 ? qatImages : 0);
    }

    private int run(ModelSource src, PreparedGraph prepared, QuantTargets targets, TeacherOptions.Teacher teacher, Backend backend, PrintWriter o) {
        Graph g = prepared.graph();
        Dataset all = bound.train();
        Dataset train = sampleSeed == null ? all.slice(0, Math.min(calib, all.count())) : all;
        Dataset test = bound.test();

        o.printf(Locale.ROOT, "model     %s%n", src.describe(seed));
        bound.describe(o);
        if (targets.preset() == QuantPreset.TENSORRT) o.println("preset    tensorrt: symmetric activations (zero point 0), weights in [-127, 127]");
        for (String l : prepared.report().lines()) o.println("prepare   " + l);
        long t0 = System.nanoTime();
        ConsoleProgress progress = ConsoleProgress.of(main.quiet, spec.commandLine().getErr()); // bars or lines on stderr; each task closes itself
        QuantPlan plan = new Calibrator(observer, calib, batchSize, sampleSeed).calibrate(targets, train, backend, progress);
        o.printf(Locale.ROOT, "calibrated in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        plan.lines().forEach(o::println);
        targets.floatNodes().values().forEach(r -> o.println("float     " + r)); // conv family (issue 17)
        // the layers come from the targets, which QAT does not change: listed before the accuracy run and QAT
        if (listSensitivityLayers) return SensitivityLayers.list(SensitivityReport.layers(g, plan), o, json);

        SimulatedAccuracy.Result acc = SimulatedAccuracy.measure(g, plan, test, backend, batchSize, progress);
        o.printf(Locale.ROOT, "accuracy  float %s, simulated int8 %s (%+.2f points) on %s test images%n",
                CliSupport.percent(acc.floatAccuracy()), CliSupport.percent(acc.int8Accuracy()), acc.deltaPoints(), CliSupport.grouped(acc.count()));
        if (qatEpochs > 0) { // from here on: the fine-tuned graph g and the QAT plan
            QatOutcome qat = quantizationAwareTraining(targets, plan, acc, test, teacher, backend, o);
            plan = qat.plan();
            acc = qat.accuracy();
        }

        SensitivityReport sens = null;
        int n = Math.min(sensitivity, test.count());
        if (n > 0) {
            sens = SensitivityReport.measure(g, plan, test.slice(0, n), backend, batchSize, progress,
                    sensitivityLayers == null ? null : new java.util.LinkedHashSet<>(sensitivityLayers));
            sens.lines().forEach(o::println);
        }
        ObjectNode results = results(plan, acc, sens);
        if (report != null) writeReport(results);
        if (out != null) writeInt8(src, g, plan, test, backend, o, results);
        json.print(results);
        return Main.EXIT_OK;
    }

    private void checkQatOptions() {
        if (teacherOptions == null) return;
        if (qatEpochs == 0) {
            throw new IllegalArgumentException("--teacher guides quantization-aware training; give --qat-epochs N > 0 with it (PTQ has no training)");
        }
        teacherOptions.response();
    }

    private record QatOutcome(QuantPlan plan, SimulatedAccuracy.Result accuracy) {}

    /**
     * QAT on the prepared graph {@code targets.graph()} (trained in place) starting from the PTQ plan; prints
     * the QAT plan and float, PTQ and QAT simulated-int8 accuracy side by side.
     */
    private QatOutcome quantizationAwareTraining(QuantTargets targets, QuantPlan ptq, SimulatedAccuracy.Result ptqAcc, Dataset test,
                                                TeacherOptions.Teacher teacher, Backend backend, PrintWriter o) {
        Dataset all = bound.train();
        Dataset train = qatImages == null ? all : all.slice(0, Math.min(qatImages, all.count()));
        TrainConfig config = QuantizationAwareTraining.fineTuning(qatEpochs, (float) qatLr, seed);
        QatResult qat;
        double secs;
        try (DistillationLoss kd = teacher == null ? null : teacherLoss(teacher, train, config, o);
             Progress progress = new Progress(Progress.detect(main.quiet), spec.commandLine().getErr(), "qat epoch")) {
            long t0 = System.nanoTime(); // after the teacher's cache, which says its own time
            qat = new QuantizationAwareTraining(backend, config).withCheckpoints(checkpoints)
                    .train(targets, ptq, train, progress, kd == null ? TrainingLoss.CROSS_ENTROPY : kd);
            secs = (System.nanoTime() - t0) / 1e9;
        }
        CheckpointOptions.summary(checkpoints, spec.commandLine().getErr());
        EpochStats last = qat.history().get(qat.history().size() - 1);
        o.printf(Locale.ROOT, "qat       %d epoch(s) on %s training images, sgd lr %s momentum 0.9 cosine, batch %d: %.1f s (%.1f s/epoch), last loss %.4f%n",
                qatEpochs, CliSupport.grouped(train.count()), qatLr, config.batchSize(), secs, secs / qatEpochs, last.trainLoss());
        qat.plan().lines().forEach(o::println);
        SimulatedAccuracy.Result q = SimulatedAccuracy.measure(qat.graph(), qat.plan(), test, backend, batchSize);
        o.printf(Locale.ROOT, "accuracy  float %s, PTQ int8 %s (%+.2f), QAT int8 %s (%+.2f points; fine-tuned float %s) on %s test images%n",
                CliSupport.percent(ptqAcc.floatAccuracy()), CliSupport.percent(ptqAcc.int8Accuracy()), ptqAcc.deltaPoints(),
                CliSupport.percent(q.int8Accuracy()), 100 * (q.int8Accuracy() - ptqAcc.floatAccuracy()), CliSupport.percent(q.floatAccuracy()),
                CliSupport.grouped(q.count()));
        return new QatOutcome(qat.plan(), q);
    }

    /** QAT's loss with a teacher, announced in one line (cached logits in a second). */
    private DistillationLoss teacherLoss(TeacherOptions.Teacher teacher, Dataset train, TrainConfig config, PrintWriter o) {
        o.printf(Locale.ROOT, "qat       with teacher %s, %s%n", teacher.source().describe(seed), teacherOptions.describe());
        return teacherOptions.responseLoss(teacher, train, config.batchSize(), note -> o.println("qat       " + note));
    }

    /** Converts, writes atomically, then scores the written file's model with the int8 engine. */
    private void writeInt8(ModelSource src, Graph g, QuantPlan plan, Dataset test, Backend backend, PrintWriter o, ObjectNode results) {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("source", src.spec());
        info.put("preset", preset.cliName());
        Int8Model m = Int8Converter.convert(g, plan, info);
        Int8ModelIO.save(m, out, Provenance.collect(provenance(src)));
        long floatBytes = 4 * g.parameterCount();
        long bytes;
        try {
            bytes = Files.size(out);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": " + e.getMessage(), e);
        }
        o.printf(Locale.ROOT, "wrote     %s: %s bytes, %.2fx smaller than the float parameters (%s bytes)%n", out,
                CliSupport.grouped(bytes), (double) floatBytes / bytes, CliSupport.grouped(floatBytes));
        try (Int8Runner r = int8Option.runner(Int8ModelIO.load(out).model(), backend, spec.commandLine().getErr())) {
            EvalResult e = new Evaluator(backend, batchSize).evaluate(r, test, TrainListener.NONE);
            o.printf(Locale.ROOT, "int8      %s on %s test images with the int8 engine (%s kernels, %s), %.0f img/s%n",
                    CliSupport.percent(e.accuracy()), CliSupport.grouped(e.count()), r.kernelsName(), r.summary(), e.imagesPerSecond());
            results.put("out", out.toString());
            results.put("bytes", bytes);
            results.put("float_parameter_bytes", floatBytes);
            ObjectNode int8 = results.putObject("int8");
            int8.put("images", e.count());
            int8.put("accuracy", e.accuracy());
            int8.put("images_per_second", e.imagesPerSecond());
            int8.put("kernels", r.kernelsName());
        }
    }

    /** What made the int8 file: the command line, the source and every setting of calibration and QAT (and the teacher). */
    private Map<String, String> provenance(ModelSource src) {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("calib", calib);
        cfg.put("observer", observer);
        cfg.put("preset", preset.cliName());
        cfg.put("exclude", exclude);
        cfg.put("sample_seed", sampleSeed);
        cfg.put("qat_epochs", qatEpochs);
        if (qatEpochs > 0) {
            cfg.put("qat_lr", qatLr);
            cfg.put("qat_images", qatImages);
        }
        Map<String, String> p = new LinkedHashMap<>();
        p.put("command", main.commandLine());
        p.put("task", "quantize");
        p.put("source", src.spec());
        if (teacherOptions != null) {
            teacherOptions.putConfig(cfg);
            p.put("teacher", teacherOptions.file);
        }
        p.put("config", CliSupport.compactJson(cfg));
        bound.contract().putInto(p);
        CheckpointOptions.putProvenance(checkpoints, p);
        return p;
    }

    /** The plan summary, accuracies and sensitivity table: the --report file, and the start of --json's object. */
    private static ObjectNode results(QuantPlan plan, SimulatedAccuracy.Result acc, SensitivityReport sens) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("model", plan.graphName());
        root.put("observer", plan.observer());
        root.put("calibration_images", plan.calibrationImages());
        root.putPOJO("excluded", plan.excluded());
        root.put("quantised_weights", plan.weights().size());
        root.put("quantised_activations", plan.activations().size());
        ObjectNode a = root.putObject("accuracy");
        a.put("images", acc.count());
        a.put("float", acc.floatAccuracy());
        a.put("simulated_int8", acc.int8Accuracy());
        if (sens != null) root.set("sensitivity", sens.toJson());
        return root;
    }

    private void writeReport(ObjectNode root) {
        JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        try {
            AtomicFiles.write(report, json.writeValueAsBytes(root)); // never a half-written report
        } catch (IOException e) {
            throw new UncheckedIOException("--report " + report + ": " + e.getMessage(), e);
        }
    }
}
