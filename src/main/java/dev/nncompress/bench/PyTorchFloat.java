package dev.nncompress.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Predictor;
import dev.nncompress.util.ProgressListener;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * PyTorch in fp32 on the same built-in model ({@code scripts/bench-pytorch-float.py --serve}, packaged as a resource
 * beside {@code bench-pytorch-int8.py}, whose image loader it imports): SGD training steps and inference, each round
 * requested in turn so that they alternate with ours ({@link Alternating}).
 */
public final class PyTorchFloat implements AutoCloseable {
    /** The built-in models the script builds in PyTorch. */
    public static final List<String> MODELS = List.of("student", "lenet5", "teacher");

    private static final String NEED = "--vs-pytorch needs a Python with torch (set " + PyTorchInt8.PYTHON_ENV + ")";

    private final ServedScript script;
    private final int trainBatch, inferBatch;

    private PyTorchFloat(ServedScript script, int trainBatch, int inferBatch) {
        this.script = script;
        this.trainBatch = trainBatch;
        this.inferBatch = inferBatch;
    }

    /**
     * Starts the script for built-in {@code model} with {@code threads} intra-op threads, with {@code $NNCOMPRESS_PYTHON}
     * (else python3); no Python, or one without torch, is a {@link BackendUnavailableException} with one line.
     */
    public static PyTorchFloat start(String model, int trainBatch, int inferBatch, int threads) {
        String python = System.getenv(PyTorchInt8.PYTHON_ENV);
        return start(python == null || python.isBlank() ? "python3" : python, model, trainBatch, inferBatch, threads);
    }

    /** As {@link #start(String, int, int, int)} with the given Python executable. */
    public static PyTorchFloat start(String python, String model, int trainBatch, int inferBatch, int threads) {
        if (!MODELS.contains(model)) throw new IllegalArgumentException("--vs-pytorch compares the built-in " + String.join(", ", MODELS) + " only, not " + model);
        ServedScript s = ServedScript.start(python, List.of("bench-pytorch-float.py", "bench-pytorch-int8.py"),
                List.of("--serve", "--model", model, "--train-batch", Integer.toString(trainBatch), "--infer-batch", Integer.toString(inferBatch),
                        "--threads", Integer.toString(threads)), "building the model", NEED);
        return new PyTorchFloat(s, trainBatch, inferBatch);
    }

    /** What the script reported once ready: torch version, threads, images, optimizer. */
    public JsonNode info() { return script.ready(); }

    /** "torch 2.13.0+cpu, 2 threads": the table's heading. */
    public String describe() {
        return String.format(Locale.ROOT, "torch %s, %d threads", info().path("torch").asText("?"), info().path("threads").asInt());
    }

    /** One timed PyTorch round of about {@code seconds}: {@code train} steps or {@code infer} calls. */
    public Alternating.Round round(String mode, double seconds) {
        JsonNode r = script.request(String.format(Locale.ROOT, "%s %.3f", mode, seconds), "a timed " + mode + " round");
        return new Alternating.Round(r.path("images_per_second").asDouble(), r.path("cpu_us_per_image").asDouble());
    }

    /** Our training steps of {@code g} on {@code b} ({@link Throughput.TrainingStep}) against PyTorch's, alternating. */
    public Alternating.Comparison training(Graph g, Backend b, float[] images, int[] labels, int rounds, double seconds, ProgressListener progress) {
        try (Throughput.TrainingStep step = new Throughput.TrainingStep(g, b, images, labels, trainBatch)) {
            return Alternating.compare(s -> Alternating.timed(step, trainBatch, s), s -> round("train", s), rounds, seconds, progress,
                    "bench train vs PyTorch");
        }
    }

    /**
     * Our distillation step of {@code student} from the live float {@code teacher} ({@link CompressionSteps#distillation})
     * against PyTorch's ("distill" rounds: the built-in teacher architecture under no_grad, the KD loss), alternating.
     */
    public Alternating.Comparison distillation(Graph student, Graph teacher, Backend b, float[] images, int[] labels, int rounds, double seconds,
                                               ProgressListener progress) {
        try (CompressionSteps.Step step = CompressionSteps.distillation(student, teacher, b, images, labels, trainBatch)) {
            return Alternating.compare(s -> Alternating.timed(step, trainBatch, s), s -> round("distill", s), rounds, seconds, progress,
                    "bench distill vs PyTorch");
        }
    }

    /** Our QAT step of {@code g} ({@link CompressionSteps#qat}) against PyTorch's eager-mode QAT step ("qat" rounds), alternating. */
    public Alternating.Comparison qat(Graph g, Backend b, float[] images, int[] labels, int rounds, double seconds, ProgressListener progress) {
        try (CompressionSteps.Step step = CompressionSteps.qat(g, b, images, labels, trainBatch)) {
            return Alternating.compare(s -> Alternating.timed(step, trainBatch, s), s -> round("qat", s), rounds, seconds, progress,
                    "bench qat vs PyTorch");
        }
    }

    /** Our {@code predictor} against PyTorch's inference on the first batch of {@code images}, alternating. */
    public Alternating.Comparison inference(Predictor predictor, float[] images, int rounds, double seconds, ProgressListener progress) {
        float[] x = Arrays.copyOf(images, inferBatch * predictor.inputShape().numel());
        return Alternating.compare(s -> Alternating.timed(() -> predictor.logits(x, inferBatch), inferBatch, s), s -> round("infer", s), rounds,
                seconds, progress, "bench inference vs PyTorch");
    }

    @Override
    public void close() { script.close(); }
}
