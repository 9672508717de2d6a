package dev.nncompress.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.graph.Predictor;
import dev.nncompress.util.ProgressListener;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

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

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final BufferedReader replies;
    private final Writer requests;
    private final Path script;
    private final Path errors;
    private final JsonNode info;

    /** One round of either side: images/s and the process's CPU microseconds per image (all its threads). */
    public record Round(double imagesPerSecond, double cpuMicrosPerImage) {}

    /** Medians of each side's rounds and of the per-pair ratios (ours / PyTorch's), with the pairs' lowest and highest ratio. */
    public record Comparison(Round ours, Round pytorch, double ratio, double lowestRatio, double highestRatio, int pairs) {}

    private PyTorchInt8(Process process, Path script, Path errors) throws IOException {
        this.process = process;
        this.script = script;
        this.errors = errors;
        this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.requests = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.info = reply("quantizing the model");
    }

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
        Path script = null;
        Path errors = null;
        try {
            script = Files.createTempFile("nncompress-bench-pytorch-int8", ".py");
            // its stderr to a file, not a pipe: nobody reads a pipe while it serves, and a full one would stall it
            errors = Files.createTempFile("nncompress-bench-pytorch-int8", ".err");
            try (InputStream in = PyTorchInt8.class.getResourceAsStream("bench-pytorch-int8.py")) {
                if (in == null) throw new IllegalStateException("bench-pytorch-int8.py is missing from the build's resources");
                Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            }
            Process p = new ProcessBuilder(python, script.toString(), "--serve", "--model", model, "--batch", Integer.toString(batch),
                    "--threads", Integer.toString(threads)).redirectError(errors.toFile()).start();
            try {
                return new PyTorchInt8(p, script, errors);
            } catch (IOException | RuntimeException e) {
                String said = lastWords(p, errors);
                throw new BackendUnavailableException("--vs-pytorch needs a Python with torch (set " + PYTHON_ENV + "); " + python
                        + (said.isEmpty() ? " gave no answer" : " said: " + said));
            }
        } catch (IOException e) {
            deleteQuietly(script);
            deleteQuietly(errors);
            throw new BackendUnavailableException("--vs-pytorch needs a Python with torch (set " + PYTHON_ENV + "); cannot run " + python
                    + ": " + e.getMessage());
        } catch (RuntimeException e) {
            deleteQuietly(script);
            deleteQuietly(errors);
            throw e;
        }
    }

    /** What the script reported once ready: torch version, engine, threads, images, qconfig. */
    public JsonNode info() { return info; }

    /** "torch 2.13.0, x86 engine, 2 threads": the table's heading. */
    public String describe() {
        return String.format(Locale.ROOT, "torch %s, %s engine, %d threads", info.path("torch").asText("?"), info.path("engine").asText("?"),
                info.path("threads").asInt());
    }

    /** One timed PyTorch round of about {@code seconds}. */
    public Round round(double seconds) {
        try {
            requests.write(String.format(Locale.ROOT, "round %.3f%n", seconds));
            requests.flush();
            JsonNode r = reply("a timed round");
            return new Round(r.path("images_per_second").asDouble(), r.path("cpu_us_per_image").asDouble());
        } catch (IOException e) {
            throw new UncheckedIOException("the PyTorch benchmark process failed: " + e.getMessage(), e);
        }
    }

    /**
     * {@code rounds} pairs of rounds of about {@code seconds} each, ours then PyTorch's, after one short untimed round
     * of each. Ours is {@code predictor} on a copy of {@code images}' first {@code batch} images, as {@link Throughput}.
     */
    public Comparison compare(Predictor predictor, float[] images, int batch, int rounds, double seconds, ProgressListener progress) {
        float[] x = Arrays.copyOf(images, batch * predictor.inputShape().numel());
        double warm = Math.min(0.5, seconds);
        ours(predictor, x, batch, warm);
        round(warm);
        List<Round> ours = new ArrayList<>();
        List<Round> theirs = new ArrayList<>();
        double[] ratio = new double[rounds];
        try (ProgressListener.Task task = progress.start("bench int8 vs PyTorch", rounds, "pairs")) {
            for (int r = 0; r < rounds; r++) {
                ours.add(ours(predictor, x, batch, seconds));
                theirs.add(round(seconds));
                ratio[r] = ours.get(r).imagesPerSecond() / theirs.get(r).imagesPerSecond();
                task.update(r + 1);
            }
        }
        Arrays.sort(ratio);
        return new Comparison(median(ours), median(theirs), ratio[rounds / 2], ratio[0], ratio[rounds - 1], rounds);
    }

    private static Round ours(Predictor p, float[] x, int batch, double seconds) {
        long c0 = Throughput.processCpuNanos();
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        long calls = 0;
        do {
            p.logits(x, batch);
            calls++;
        } while (System.nanoTime() < end);
        double wall = (System.nanoTime() - t0) / 1e9;
        long c1 = Throughput.processCpuNanos();
        double images = (double) calls * batch;
        return new Round(images / wall, c0 < 0 || c1 < 0 ? Double.NaN : (c1 - c0) / 1e3 / images);
    }

    private static Round median(List<Round> rounds) {
        double[] ips = rounds.stream().mapToDouble(Round::imagesPerSecond).sorted().toArray();
        double[] cpu = rounds.stream().mapToDouble(Round::cpuMicrosPerImage).sorted().toArray();
        return new Round(ips[ips.length / 2], cpu[cpu.length / 2]);
    }

    /** The script's next stdout line as JSON; end of output is an IOException naming what was awaited. */
    private JsonNode reply(String what) throws IOException {
        String line = replies.readLine();
        if (line == null) throw new IOException("the PyTorch benchmark process ended while " + what);
        JsonNode n = JSON.readTree(line);
        if (!n.isObject()) throw new IOException("the PyTorch benchmark process printed " + line + " while " + what);
        return n;
    }

    /**
     * The last line a failed start wrote on stderr (Python's "No module named 'torch'"), once it has exited; a process
     * still running after a few seconds is killed and says nothing (destroying it first would close its stderr unread).
     */
    private static String lastWords(Process p, Path errors) {
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "";
            }
            String[] lines = Files.readString(errors, StandardCharsets.UTF_8).strip().split("\\R");
            return lines[lines.length - 1].strip();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }

    @Override
    public void close() {
        try {
            requests.write("quit\n");
            requests.flush();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteQuietly(script);
        deleteQuietly(errors);
    }
}
