package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.bench.FloatVsPyTorch;
import dev.nncompress.bench.OrtSideBySide;
import dev.nncompress.bench.PyTorchFloat;
import dev.nncompress.bench.PyTorchInt8;
import dev.nncompress.bench.Throughput;
import dev.nncompress.util.ProgressListener;
import dev.nncompress.data.Dataset;
import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.prepare.PreparedGraph;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Predictor;
import dev.nncompress.graph.SparseInference;
import dev.nncompress.graph.Parameter;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.models.Models;
import dev.nncompress.train.Check;
import dev.nncompress.util.Seeds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code nncompress bench}: training and inference images/s of models on the chosen backend, each
 * beside a baseline backend measured in the same run, with the ratio.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Measure training (forward + backward + SGD step) and inference images/s, side by side with a baseline.",
                "Example: nncompress bench student teacher --baseline reference"})
final class BenchCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(arity = "0..*", split = ",", defaultValue = "student,teacher", paramLabel = "MODEL",
            description = "Built-in models or model files (float or int8) to measure, separated by spaces or commas (default: ${DEFAULT-VALUE}).")
    List<String> models;

    @Option(names = "--train-batch", defaultValue = "64", paramLabel = "N", description = "Training batch size (default: ${DEFAULT-VALUE}).")
    int trainBatch;

    @Option(names = "--infer-batch", defaultValue = "256", paramLabel = "N", description = "Inference batch size (default: ${DEFAULT-VALUE}).")
    int inferBatch;

    @Option(names = "--rounds", defaultValue = "5", paramLabel = "N", description = "Timed rounds; the median is reported (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--round-seconds", defaultValue = "2", paramLabel = "S", description = "Length of one round (default: ${DEFAULT-VALUE}).")
    double roundSeconds;

    @Option(names = "--baseline", defaultValue = "reference", paramLabel = "BACKEND|none", completionCandidates = Choices.BaselineNames.class,
            description = "Backend to compare against in the same run: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}, the plain-Java loops).")
    String baselineName;

    /** Where the bench images come from: every format and option the other commands take (docs/data.md), read by {@link DataBinding}. */
    @Mixin
    DataOptions data;

    @Option(names = "--int8", description = "Also convert each float model to int8 (minmax calibration on the bench images) and measure "
            + "int8 inference beside fp32 inference on the same backend, with the speedup.")
    boolean int8;

    @Option(names = "--vs-pytorch", description = "Built-in models on 28x28x1 images: also time PyTorch on the same model, same batches and "
            + "threads, in alternating rounds with ours, with the ratios: without --int8 float training and inference (student, lenet5, "
            + "teacher; scripts/bench-pytorch-float.py), with --int8 its int8 engine (torch.ao static PTQ, x86/fbgemm; teacher, student; "
            + "scripts/bench-pytorch-int8.py). Runs the script with $NNCOMPRESS_PYTHON (default python3), which needs torch.")
    boolean vsPyTorch;

    @Option(names = "--distill-qat", description = "With float --vs-pytorch: also time a distillation step from a live float teacher (the "
            + "built-in teacher, for student and lenet5) and a quantisation-aware training step of each model beside PyTorch's same steps "
            + "(teacher under no_grad and the KD loss; eager-mode QAT with torch.ao fake quantisation), with the ratios.")
    boolean distillQat;

    @Option(names = "--vs-ort", description = "Also time ONNX Runtime's CPU execution provider (same threads, same batch) on each float model "
            + "as our ONNX export writes it, and with --int8 on the int8 model's QDQ export against our int8 engine, in alternating rounds "
            + "with ours, with the ratios.")
    boolean vsOrt;

    @Option(names = "--sparse", defaultValue = "auto", paramLabel = "auto|off|on",
            description = "Pruned float models: also time inference with the backend's sparse kernels beside dense, in pairs in the same run "
                    + "(auto: layers whose zeros reach the measured break-even; on: every conv/linear layer; off: no sparse rows; default: ${DEFAULT-VALUE}).")
    SparseInference.Mode sparse;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
            description = "Also time inference by N threads sharing one predictor (fp32, and int8 with --int8) beside one thread, "
                    + "in alternating rounds (default: ${DEFAULT-VALUE}: no such table).")
    int threads;

    @Mixin
    BackendOption backendOption;

    @Mixin
    Int8Option int8Option;

    @Mixin
    JsonOption json;

    /** --json: the tables' rows as numbers (the sparse table as its text lines), filled as they are measured. */
    private final Map<String, List<Object>> results = new LinkedHashMap<>(Map.of("rows", new ArrayList<>(), "int8", new ArrayList<>(),
            "threads", new ArrayList<>(), "sparse_lines", new ArrayList<>()));

    /**
     * Every MODEL read and checked, with its images, before a backend exists; a fresh copy goes to each backend and
     * measurement (a built-in built for the data's shape and classes).
     */
    private final Map<String, DataBinding.Prepared> prepared = new LinkedHashMap<>();

    @Override
    public Integer call() {
        PrintWriter out = json.text();
        PrintWriter err = spec.commandLine().getErr();
        Check.positive("--train-batch", trainBatch);
        Check.positive("--infer-batch", inferBatch);
        Check.positive("--rounds", rounds);
        Check.positive("--round-seconds", roundSeconds);
        Check.positive("--threads", threads);
        backendOption.check();
        SparseInference.Mode sparseMode = sparse;
        boolean withBaseline = !baselineName.equals("none");
        if (withBaseline) CliSupport.checkBackendName(baselineName);
        data.check();
        if (distillQat && (!vsPyTorch || int8)) throw new IllegalArgumentException("--distill-qat needs --vs-pytorch without --int8");
        if (vsPyTorch) {
            List<String> known = int8 ? PYTORCH_MODELS : PyTorchFloat.MODELS; // the architectures each script builds
            for (String m : models) {
                if (!known.contains(m)) {
                    throw new IllegalArgumentException("--vs-pytorch" + (int8 ? " --int8" : "") + " compares the built-in " + String.join(", ", known)
                            + " only, not " + m);
                }
            }
        }
        // the files first: a bad one is one error line, before any backend is created or announced. Real training
        // images (read per model, as each model file fixes its own input size) so that ReLU sparsity and pooling see
        // what training sees
        int imageCount = Math.max(trainBatch, inferBatch);
        for (String m : models) {
            if (!prepared.containsKey(m)) prepared.put(m, DataBinding.prepare(data, ModelSource.read(m, Seeds.DEFAULT), imageCount, 0, s -> { }, null));
            // the script builds the Fashion-MNIST shapes; other images would make our model another one
            DataBinding.Prepared p = prepared.get(m);
            if (vsPyTorch && (!p.input().equals(Models.FASHION_MNIST_INPUT) || p.classes() != Models.FASHION_MNIST_CLASSES)) {
                throw new IllegalArgumentException("--vs-pytorch builds the models for 28x28 one-channel images and 10 classes (Fashion-MNIST's), not "
                        + p.input() + " and " + p.classes() + " classes");
            }
        }

        try (Backend backend = backendOption.create(err);
             Backend baseline = withBaseline ? CliSupport.createBackend(baselineName, err) : null;
             ConsoleProgress bars = ConsoleProgress.of(main.quiet, err)) {
            progress = bars;
            List<ModelSource> sources = models.stream().map(m -> prepared.get(m).on(backend).model()).toList();
            labelWidth = Math.max(9, sources.stream().mapToInt(s -> label(s).length()).max().orElse(0));
            Int8KernelChoice.Choice kernels = int8 || sources.stream().anyMatch(ModelSource::isInt8) ? int8Option.choose(backend, err) : null;
            // --vs-ort and float --vs-pytorch: their tables (bench/OrtSideBySide, bench/FloatVsPyTorch), printed last; made before
            // anything is printed, so that a missing ONNX Runtime is the only line
            OrtSideBySide ort = vsOrt ? new OrtSideBySide(backend, kernels == null ? null : kernels.kernels(), sparseMode, inferBatch, rounds,
                    roundSeconds, Int8KernelChoice.defaultThreads(), progress) : null;
            FloatVsPyTorch torchFloat = vsPyTorch && !int8 ? new FloatVsPyTorch(backend, sparseMode, trainBatch, inferBatch, rounds, roundSeconds,
                    Int8KernelChoice.defaultThreads(), progress) : null;
            if (distillQat) torchFloat.withCompressionSteps(Models.byName("teacher", backend, Seeds.DEFAULT));
            Set<String> dataLines = new LinkedHashSet<>();
            for (DataBinding.Prepared p : prepared.values()) {
                // one data line per distinct reading (model files may fix different sizes); none for Fashion-MNIST as always read
                String line = p.contract().dataLine(p.train().count(), 0);
                if (!p.contract().usual() && dataLines.add(line)) out.println(line);
            }
            out.printf(Locale.ROOT, "%s %-22s %16s %16s %8s%n", pad("model"), "mode", backend.name() + " img/s",
                    withBaseline ? baseline.name() + " img/s" : "", withBaseline ? "ratio" : "");
            List<String> int8Rows = new ArrayList<>();
            List<String> sparseRows = new ArrayList<>();
            List<String> threadRows = new ArrayList<>();
            List<String> pytorchRows = new ArrayList<>();
            ProgressListener.Task perModel = progress.start("bench", sources.size(), "models"); // closed below, or by bars on a failure
            for (ModelSource src : sources) {
                perModel.update(sources.indexOf(src), label(src));
                Dataset images = prepared.get(src.spec()).train();
                if (src.isInt8()) {
                    try (Int8Runner r = new Int8Runner(src.int8(), kernels.kernels(), backend)) {
                        double ips = Throughput.inference(r, images.images(), inferBatch, rounds, roundSeconds, progress).imagesPerSecond();
                        out.printf(Locale.ROOT, "%s %-22s %,16.0f%n", pad(label(src)), "int8 inference " + inferBatch, ips);
                        results.get("rows").add(Map.of("model", label(src), "mode", "int8 inference " + inferBatch, "images_per_second", ips));
                        if (threads > 1) threadRows.add(threadRow(label(src), "int8", r, images));
                    }
                    continue;
                }
                // PyTorch first: a Python without torch is one error line before ours is measured
                if (torchFloat != null) torchFloat.add(src.name(), label(src), prepared.get(src.spec()).on(backend).model().graph(), src.graph(),
                        images.images(), images.labels());
                row(out, src, "train batch " + trainBatch, true, backend, baseline, images);
                double fp32 = row(out, src, "inference batch " + inferBatch, false, backend, baseline, images);
                Int8Model int8Model = int8 ? int8Model(src, backend, images) : null;
                if (int8) int8Rows.add(int8Row(src, int8Model, fp32, kernels, backend, images));
                if (vsPyTorch && int8) pytorchRows.add(pytorchRow(src, int8Model, kernels, backend, images));
                if (ort != null) ort.add(label(src), src.graph(), int8Model, images.images());
                String sparseRow = sparseMode == SparseInference.Mode.OFF ? null : sparseRow(src, sparseMode, backend, images);
                if (sparseRow != null) sparseRows.add(sparseRow);
                if (sparseRow != null) results.get("sparse_lines").add(sparseRow.strip());
                if (threads > 1) {
                    try (GraphPredictor p = new GraphPredictor(src.graph(), backend, sparseMode)) {
                        threadRows.add(threadRow(label(src), p.sparse().any() ? "fp32 sparse" : "fp32", p, images));
                    }
                    if (int8Model != null) {
                        try (Int8Runner r = new Int8Runner(int8Model, kernels.kernels(), backend)) {
                            threadRows.add(threadRow(label(src), "int8", r, images));
                        }
                    }
                }
            }
            perModel.update(sources.size());
            perModel.close();
            if (sparseMode != SparseInference.Mode.OFF && !sparseRows.isEmpty()) {
                out.println();
                out.printf(Locale.ROOT, "dense vs sparse inference, batch %d, %s backend, --sparse %s, %d alternating pairs of %s s rounds%n",
                        inferBatch, backend.name(), sparse, rounds, roundSeconds);
                out.printf(Locale.ROOT, "%s %16s %16s %8s  %s%n", pad("model"), "dense img/s", "sparse img/s", "speedup", "layers");
                sparseRows.forEach(out::println);
            }
            if (!threadRows.isEmpty()) {
                out.println();
                out.printf(Locale.ROOT, "one predictor shared by %d threads vs 1 thread, batch %d, %s backend, %d alternating pairs of %s s rounds%n",
                        threads, inferBatch, backend.name(), rounds, roundSeconds);
                out.printf(Locale.ROOT, "%s %-12s %16s %16s %8s  %9s  %s%n", pad("model"), "predictor", "1 thread img/s", threads + " threads img/s",
                        "ratio", "pairs", "CPU us/img, 1 and " + threads + " threads (more with " + threads + ": overhead)");
                threadRows.forEach(out::println);
            }
            if (!int8Rows.isEmpty()) {
                out.println();
                out.printf(Locale.ROOT, "int8 vs fp32 inference, batch %d, %s backend, %s kernels, same run%n", inferBatch, backend.name(),
                        kernels.kernels().name());
                out.printf(Locale.ROOT, "%s %16s %16s %8s  %s%n", pad("model"), "fp32 img/s", "int8 img/s", "speedup", "int8 layers");
                int8Rows.forEach(out::println);
            }
            if (!pytorchRows.isEmpty()) {
                out.println();
                out.printf(Locale.ROOT, "int8 inference vs PyTorch's int8 engine, batch %d, ours: %s kernels, %d threads; PyTorch: %s; "
                        + "%d alternating pairs of %s s rounds%n", inferBatch, kernels.kernels().name(), Int8KernelChoice.defaultThreads(),
                        pytorchSetup, rounds, roundSeconds);
                out.printf(Locale.ROOT, "%s %16s %16s %8s  %11s  %s%n", pad("model"), "ours img/s", "PyTorch img/s", "ratio", "pairs",
                        "CPU us/img, ours and PyTorch's");
                pytorchRows.forEach(out::println);
            }
            if (ort != null) ort.print(out, labelWidth);
            if (ort != null) results.put("ort", new ArrayList<>(ort.json()));
            if (torchFloat != null) torchFloat.print(out, labelWidth);
            if (torchFloat != null) results.put("pytorch_float", new ArrayList<>(torchFloat.json()));
        }
        json.print(results);
        return Main.EXIT_OK;
    }

    /**
     * Dense and sparse predictors of the same graph timed in alternating rounds (so that load changes hit
     * both); medians of each side and the median of the per-pair ratios; null for an unpruned model under auto.
     */
    private String sparseRow(ModelSource src, SparseInference.Mode mode, Backend backend, Dataset images) {
        try (GraphPredictor dense = new GraphPredictor(src.graph(), backend, SparseInference.Mode.OFF);
             GraphPredictor sparsePred = new GraphPredictor(src.graph(), backend, mode)) {
            String label = label(src);
            // an unpruned model (no layer even half zeros) gets no row, unless --sparse on asked for one
            if (mode == SparseInference.Mode.AUTO && !sparsePred.sparse().pruned()) return null;
            if (!sparsePred.sparse().any()) {
                return String.format(Locale.ROOT, "%s %16s %16s %8s  %s", pad(label), "", "", "-", sparsePred.sparse().summary());
            }
            double[] d = new double[rounds];
            double[] s = new double[rounds];
            double[] ratio = new double[rounds];
            Throughput.inference(dense, images.images(), inferBatch, 1, Math.min(roundSeconds, 0.5)); // warm-up, untimed
            Throughput.inference(sparsePred, images.images(), inferBatch, 1, Math.min(roundSeconds, 0.5));
            ProgressListener.Task pairs = progress.start("bench dense vs sparse", rounds, "pairs");
            for (int i = 0; i < rounds; i++) {
                d[i] = Throughput.inference(dense, images.images(), inferBatch, 1, roundSeconds).imagesPerSecond();
                s[i] = Throughput.inference(sparsePred, images.images(), inferBatch, 1, roundSeconds).imagesPerSecond();
                ratio[i] = s[i] / d[i];
                pairs.update(i + 1);
            }
            pairs.close();
            return String.format(Locale.ROOT, "%s %,16.0f %,16.0f %7.2fx  %s", pad(label), median(d), median(s), median(ratio),
                    sparsePred.sparse().summary());
        }
    }

    // the bench rounds' progress on stderr (set by call; NONE until then)
    private ProgressListener progress = ProgressListener.NONE;

    // the model column's width: the longest label, so that file names keep the columns aligned
    private int labelWidth = 9;

    private String pad(String label) { return String.format(Locale.ROOT, "%-" + labelWidth + "s", label); }

    /** A row's model: the file name for a model file (two pruned teachers are both graphs named "teacher"), else the built-in name. */
    private static String label(ModelSource src) {
        return java.nio.file.Files.isRegularFile(Path.of(src.spec())) ? Path.of(src.spec()).getFileName().toString() : src.name();
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        java.util.Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    /** The float model calibrated (minmax on the bench images) and converted to int8. */
    private Int8Model int8Model(ModelSource src, Backend backend, Dataset images) {
        PreparedGraph prepared = GraphPreparation.forInference(src.graph());
        try {
            Graph g = prepared.graph();
            QuantPlan plan = new Calibrator("minmax", images.count(), inferBatch, null).calibrate(QuantTargets.of(g), images, backend, progress);
            return Int8Converter.convert(g, plan, Map.of("source", src.spec()));
        } finally {
            for (Parameter p : prepared.graph().params().values()) p.value().close();
        }
    }

    /** Times the int8 model beside the fp32 number just measured. */
    private String int8Row(ModelSource src, Int8Model m, double fp32, Int8KernelChoice.Choice kernels, Backend backend, Dataset images) {
        try (Int8Runner r = new Int8Runner(m, kernels.kernels(), backend)) {
            double q = Throughput.inference(r, images.images(), inferBatch, rounds, roundSeconds, progress).imagesPerSecond();
            results.get("int8").add(Map.of("model", label(src), "fp32_images_per_second", fp32, "int8_images_per_second", q, "speedup", q / fp32));
            return String.format(Locale.ROOT, "%s %,16.0f %,16.0f %7.2fx  %s", pad(label(src)), fp32, q, q / fp32, r.summary());
        }
    }

    /** Built-in models whose architecture scripts/bench-pytorch-int8.py builds in PyTorch. */
    private static final List<String> PYTORCH_MODELS = List.of("teacher", "student");

    // the PyTorch side as the script reported it (torch version, engine, threads), for the table's heading
    private String pytorchSetup = "";

    /**
     * The int8 model beside PyTorch's int8 engine on the same architecture, same batch and thread count, in alternating
     * rounds: medians of each side and of the per-pair ratios (ours / PyTorch's), the pairs' spread, CPU time per image.
     */
    private String pytorchRow(ModelSource src, Int8Model m, Int8KernelChoice.Choice kernels, Backend backend, Dataset images) {
        int threads = Int8KernelChoice.defaultThreads();
        try (PyTorchInt8 torch = PyTorchInt8.start(src.name(), inferBatch, threads);
             Int8Runner r = new Int8Runner(m, kernels.kernels(), backend)) {
            pytorchSetup = torch.describe();
            PyTorchInt8.Comparison c = torch.compare(r, images.images(), inferBatch, rounds, roundSeconds, progress);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", label(src));
            row.put("batch", inferBatch);
            row.put("threads", threads);
            row.put("kernels", kernels.kernels().name());
            row.put("images_per_second", c.ours().imagesPerSecond());
            row.put("pytorch_images_per_second", c.pytorch().imagesPerSecond());
            row.put("ratio", c.ratio());
            row.put("lowest_ratio", c.lowestRatio());
            row.put("highest_ratio", c.highestRatio());
            row.put("cpu_us_per_image", c.ours().cpuMicrosPerImage());
            row.put("pytorch_cpu_us_per_image", c.pytorch().cpuMicrosPerImage());
            row.put("pytorch", torch.info());
            results.computeIfAbsent("pytorch", k -> new ArrayList<>()).add(row);
            return String.format(Locale.ROOT, "%s %,16.0f %,16.0f %7.2fx  %11s  %6.1f %6.1f", pad(label(src)), c.ours().imagesPerSecond(),
                    c.pytorch().imagesPerSecond(), c.ratio(), String.format(Locale.ROOT, "%.2f-%.2fx", c.lowestRatio(), c.highestRatio()),
                    c.ours().cpuMicrosPerImage(), c.pytorch().cpuMicrosPerImage());
        }
    }

    /** {@code threads} threads sharing {@code p} beside one thread: medians of each side and of the per-pair ratios. */
    private String threadRow(String label, String kind, Predictor p, Dataset images) {
        Throughput.Shared r = Throughput.sharedInference(p, images.images(), inferBatch, threads, rounds, roundSeconds, progress);
        results.get("threads").add(Map.of("model", label, "predictor", kind, "one_thread_images_per_second", r.one().imagesPerSecond(),
                "shared_images_per_second", r.shared().imagesPerSecond(), "threads", threads, "ratio", r.ratio()));
        return String.format(Locale.ROOT, "%s %-12s %,16.0f %,16.0f %7.2fx  %9s  %6.1f %6.1f", pad(label), kind, r.one().imagesPerSecond(),
                r.shared().imagesPerSecond(), r.ratio(), String.format(Locale.ROOT, "%.2f-%.2fx", r.lowestRatio(), r.highestRatio()),
                r.oneCpuMicrosPerImage(), r.sharedCpuMicrosPerImage());
    }

    private double row(PrintWriter out, ModelSource src, String mode, boolean train, Backend backend, Backend baseline, Dataset images) {
        String model = src.spec();
        double ours = measure(model, train, backend, images, rounds, roundSeconds).imagesPerSecond();
        String base = "";
        String ratio = "";
        Map<String, Object> r = new LinkedHashMap<>(Map.of("model", label(src), "mode", mode, "images_per_second", ours, "backend", backend.name()));
        if (baseline != null) {
            // the baseline may be 100x slower: one short round keeps the run bounded
            double theirs = measure(model, train, baseline, images, 1, Math.min(roundSeconds, 1.0)).imagesPerSecond();
            base = String.format(Locale.ROOT, "%,.0f", theirs);
            ratio = String.format(Locale.ROOT, "%.1fx", ours / theirs);
            r.put("baseline", baseline.name());
            r.put("baseline_images_per_second", theirs);
            r.put("ratio", ours / theirs);
        }
        results.get("rows").add(r);
        out.printf(Locale.ROOT, "%s %-22s %,16.0f %16s %8s%n", pad(label(src)), mode, ours, base, ratio);
        out.flush();
        return ours;
    }

    private Throughput.Result measure(String model, boolean train, Backend b, Dataset images, int n, double seconds) {
        Graph g = prepared.get(model).on(b).model().graph(); // a fresh copy: training changes it
        return train ? Throughput.training(g, b, images.images(), images.labels(), trainBatch, n, seconds, progress)
                : Throughput.inference(g, b, images.images(), inferBatch, n, seconds, progress);
    }
}
