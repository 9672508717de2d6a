package dev.nncompress.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.graph.Predictor;
import dev.nncompress.util.ProgressListener;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * PyTorch's int8 engine (torch.ao's x86/fbgemm) on the same built-in model, as a Python subprocess running
 * {@code scripts/bench-pytorch-int8.py --serve} (packaged as a resource): its rounds are requested one at a time so
 * that they alternate with ours in one run. On a shared machine two runs one after the other compare the load of two
 * moments, not the engines; alternating rounds put both under the same load, and the median of the per-pair ratios
 * is what a change of load moves least.
 */
public final class PyTorchInt8 implements AutoCloseable {
    /** The Python that runs the script: {@code $NNCOMPRESS_PYTHON}, else {@code python3} on the PATH. */
    public static final String PYTHON_ENV = "NNCOMPRESS_PYTHON";

    private static final String NEED = "--vs-pytorch needs a Python with torch (set " + PYTHON_ENV + ")";

    private final ServedScript script;

    /** Medians of each side's rounds and of the per-pair ratios (ours / PyTorch's), with the pairs' lowest and highest ratio. */
    public record Comparison(Alternating.Round ours, Alternating.Round pytorch, double ratio, double lowestRatio, double highestRatio, int pairs) {}

    private PyTorchInt8(ServedScript script) { this.script = script; }

    /**
     * Starts the script for built-in {@code model} (teacher or student) at {@code batch} with {@code threads} intra-op
     * threads, and waits until PyTorch has quantized it. No Python, or one without torch, is a
     * {@link BackendUnavailableException} with one line saying what to set.
     */
    public static PyTorchInt8 start(String model, int batch, int threads) {
        String python = System.getenv(PYTHON_ENV);
        return start(python == null || python.isBlank() ? "python3" : python, model, batch, threads);
    }

    /** As {@link #start(String, int, int)} with the given Python executable. */
    public static PyTorchInt8 start(String python, String model, int batch, int threads) {
        return new PyTorchInt8(ServedScript.start(python, List.of("bench-pytorch-int8.py"), List.of("--serve", "--model", model, "--batch",
                Integer.toString(batch), "--threads", Integer.toString(threads)), "quantizing the model", NEED));
    }

    /** What the script reported once ready: torch version, engine, threads, images, qconfig. */
    public JsonNode info() { return script.ready(); }

    /** "torch 2.13.0, x86 engine, 2 threads": the table's heading. */
    public String describe() {
        return String.format(Locale.ROOT, "torch %s, %s engine, %d threads", info().path("torch").asText("?"), info().path("engine").asText("?"),
                info().path("threads").asInt());
    }

    /** One timed PyTorch round of about {@code seconds}. */
    public Alternating.Round round(double seconds) {
        JsonNode r = script.request(String.format(Locale.ROOT, "round %.3f", seconds), "a timed round");
        return new Alternating.Round(r.path("images_per_second").asDouble(), r.path("cpu_us_per_image").asDouble());
    }

    /**
     * {@code rounds} pairs of rounds of about {@code seconds} each, ours then PyTorch's, after one short untimed round
     * of each ({@link Alternating}). Ours is {@code predictor} on a copy of {@code images}' first {@code batch} images.
     */
    public Comparison compare(Predictor predictor, float[] images, int batch, int rounds, double seconds, ProgressListener progress) {
        float[] x = Arrays.copyOf(images, batch * predictor.inputShape().numel());
        Alternating.Comparison c = Alternating.compare(s -> Alternating.timed(() -> predictor.logits(x, batch), batch, s), this::round, rounds,
                seconds, progress, "bench int8 vs PyTorch");
        return new Comparison(c.ours(), c.theirs(), c.ratio(), c.lowestRatio(), c.highestRatio(), c.pairs());
    }

    @Override
    public void close() { script.close(); }
}
