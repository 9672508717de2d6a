package dev.nncompress.fuzz;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.DatasetException;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.Predictor;
import dev.nncompress.graph.SparseInference;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.tensor.Shape;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.SplittableRandom;

/**
 * What every fuzz target does with one input: write it where the real loader reads files, load it as the
 * commands do, and, when it loads, run one forward pass on a tiny batch (float models on the CPU backend
 * both dense and with every conv/linear on the sparse kernels, which between them cover whatever
 * {@code auto} picks per layer; int8 models on the int8 runner with the kernels {@code auto} picks,
 * native where they load).
 *
 * <p>The only acceptable failure is a rejection at load time that the CLI turns into exit code 1 with
 * one line naming the file: {@link ModelFormatException} or {@link DatasetException} whose message
 * names the file. Everything else is a finding: any other exception (an {@code IllegalArgumentException}
 * too, which the CLI reports as a usage error, exit 2), an exception from a forward pass over a model
 * that loaded, an {@code OutOfMemoryError} (the fuzz JVM has a small heap, so a decompression bomb shows
 * as one), a hang (libFuzzer's -timeout) or a JVM crash.
 *
 * <p>A JVM crash takes the fuzzer with it before it can save the input, so the input is written first to
 * {@code target/fuzz-work/<target>/} under a fixed name, where it stays after a crash: rerun it with
 * {@code scripts/fuzz.sh --reproduce}.
 */
final class FuzzRun {
    /** Images per forward pass: more than one, so batch strides are exercised. */
    static final int BATCH = 2;
    private static final Path WORK = Path.of("target/fuzz-work");
    private static final Path FINDINGS = Path.of("target/fuzz-findings");
    /** Shapes of an int8 model's float twin, on heap arrays (no native memory for a check). */
    private static final Backend REF = new ReferenceBackend();
    private static Backend cpu;
    private static Int8Kernels int8Kernels;

    private FuzzRun() {}

    /** The CPU backend, made once per JVM (its start-up costs a second). */
    static synchronized Backend cpu() {
        if (cpu == null) cpu = Backends.create("cpu", line -> {});
        return cpu;
    }

    /** The int8 kernels {@code auto} picks (native where they load), one thread so that runs are repeatable. */
    static synchronized Int8Kernels int8Kernels() {
        if (int8Kernels == null) int8Kernels = Int8KernelChoice.choose("auto", 1).kernels();
        return int8Kernels;
    }

    /**
     * Writes {@code bytes} to {@code target/fuzz-work/<target>/<name>}, replacing any earlier input by rename: a
     * model file read earlier may still be memory-mapped, and a rename leaves that mapping's file intact.
     */
    static Path write(String target, String name, byte[] bytes) {
        try {
            Path dir = Files.createDirectories(WORK.resolve(target));
            Path tmp = dir.resolve(name + ".tmp");
            Files.write(tmp, bytes);
            return Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("fuzz harness cannot write its input: " + e.getMessage(), e);
        }
    }

    /**
     * The model targets: {@code bytes} as a model file, loaded with {@link ModelIO#loadAny} and run. On a
     * finding the model file is also kept as {@code target/fuzz-findings/<target>/model-<sha1>.safetensors}:
     * the fuzzer's own record is its input, which for the graph target is a list of choices, not a file the
     * CLI can be given (and it means another file once the seeds change).
     */
    static void modelFile(String target, byte[] bytes) {
        loadAndRun(target, bytes, ".safetensors", file -> ModelIO.loadAny(file, cpu()));
    }

    /** The ONNX target: {@code bytes} as a {@code .onnx} file, imported with {@link OnnxImporter#importFile} (as a MODEL argument is) and run. */
    static void onnxFile(String target, byte[] bytes) {
        loadAndRun(target, bytes, ".onnx", file -> {
            OnnxImporter.Imported imp = OnnxImporter.importFile(file, cpu());
            return new ModelIO.FloatModel(new ModelIO.LoadedModel(imp.graph(), imp.provenance()));
        });
    }

    /** Reads a model file as a command would; a rejection is a {@link ModelFormatException}. */
    private interface Loader {
        ModelIO.AnyModel load(Path file);
    }

    /** {@code bytes} written as {@code input<extension>}, loaded, and run when it loads; a finding keeps the file as {@code model-<sha1><extension>}. */
    private static void loadAndRun(String target, byte[] bytes, String extension, Loader loader) {
        Path file = write(target, "input" + extension, bytes);
        try {
            ModelIO.AnyModel m;
            try {
                m = loader.load(file);
            } catch (ModelFormatException e) {
                requireNamesFile(e, file);
                return;
            }
            forward(m);
        } catch (Throwable t) {
            keep(target, bytes, extension);
            throw t;
        }
    }

    private static void keep(String target, byte[] bytes, String extension) {
        try {
            String sha1 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1").digest(bytes));
            Path dir = Files.createDirectories(FINDINGS.resolve(target));
            Files.write(dir.resolve("model-" + sha1 + extension), bytes);
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            System.err.println("fuzz harness cannot keep the model file of a finding: " + e);
        }
    }

    /** One forward pass of a loaded model on {@link #BATCH} images of its input shape (unless {@link #runnable} says no); frees what it made. */
    static void forward(ModelIO.AnyModel m) {
        if (m instanceof ModelIO.Int8File q) {
            Graph shapes = q.loaded().model().floatGraph(REF);
            if (!runnable(shapes)) return;
            try (Int8Runner r = new Int8Runner(q.loaded().model(), int8Kernels(), cpu())) {
                run(r);
            }
            return;
        }
        Graph g = ((ModelIO.FloatModel) m).loaded().graph();
        try {
            if (!runnable(g)) return;
            for (SparseInference.Mode mode : new SparseInference.Mode[] {SparseInference.Mode.OFF, SparseInference.Mode.ON}) {
                try (GraphPredictor p = new GraphPredictor(g, cpu(), mode)) {
                    run(p);
                }
            }
        } finally {
            for (Parameter p : g.params().values()) p.value().close();
        }
    }

    /**
     * Elements per sample of any activation (the input included) beyond which a model that loaded is not run.
     * A fully convolutional model takes any input size, and padding or a stride can grow an activation: the
     * fuzzer soon finds that a wide input (6 x 46341) or a large padding reaches new code, and inference at that
     * size took 5-10 s an input, until the corpus filled with such inputs and a target ran a few inputs a
     * second. Loading such files is still fuzzed; a size whose count overflows an int is still a finding
     * ({@code Shape.numel} throws), and sizes the validation refuses never get here.
     */
    static final int MAX_RUN_ELEMENTS = 1 << 20;

    static boolean runnable(Graph g) {
        if (g.inputShape().numel() > MAX_RUN_ELEMENTS) return false;
        for (Shape s : g.inferShapes().values()) if (s.numel() > MAX_RUN_ELEMENTS) return false;
        return true;
    }

    /** Logits for a batch of deterministic noise; a count that does not split into rows is a finding. */
    static float[] run(Predictor p) {
        int n = GraphPredictor.batchShape(p.inputShape(), BATCH).numel();
        float[] images = new float[n];
        SplittableRandom r = new SplittableRandom(n);
        for (int i = 0; i < n; i++) images[i] = (float) (r.nextDouble() * 4 - 2);
        float[] logits = p.logits(images, BATCH);
        if (logits.length % BATCH != 0) {
            throw new AssertionError(p.name() + ": " + logits.length + " logits for a batch of " + BATCH);
        }
        return logits;
    }

    /** The CLI prints the message as the user's one line: it must say which file (one of {@code files}); a rejection that does not is a finding. */
    static void requireNamesFile(RuntimeException e, Path... files) {
        String msg = e.getMessage();
        for (Path f : files) if (msg != null && msg.contains(f.toString())) return;
        throw new AssertionError("rejection does not name the file (" + java.util.Arrays.toString(files) + "): " + msg, e);
    }
}
