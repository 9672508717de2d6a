package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A MODEL argument: a built-in model name ({@link Models#NAMES}, freshly initialised from a seed), a
 * float model file written by {@link ModelIO}, an ONNX file ({@code *.onnx}, imported on the fly by
 * {@link OnnxImporter}, as {@code nncompress import} would), or an int8 model file written by
 * {@code quantize --out} (then {@link #int8()} is set and {@link #graph()} refuses). A built-in name wins over a file of the
 * same name in the working directory; write {@code ./student} for the file.
 *
 * <p>Two steps, so that a bad file costs one error line and no backend: {@link #read} reads and validates the
 * file on the heap before the command creates (and announces) its backend, {@link Read#on} then puts the model
 * on that backend.
 */
record ModelSource(String spec, boolean builtIn, Graph graph, Int8Model int8, Map<String, String> provenance) {

    /**
     * MODEL read and checked without a backend: a file is loaded onto the heap (the reference backend; no native
     * library is touched) with every check of its format, a built-in name is only recognised; an unknown name is
     * a usage error.
     */
    static Read read(String spec, long seed) {
        if (Models.NAMES.contains(spec)) return new Read(spec, seed, null, null);
        Path file = Path.of(spec);
        if (OnnxImporter.isOnnxPath(spec) || Files.exists(file) || looksLikePath(spec)) {
            Backend heap = CliSupport.inspectionBackend();
            return new Read(spec, seed, readFile(spec, heap), heap);
        }
        throw new IllegalArgumentException("unknown model '" + spec + "': neither a built-in model ("
                + String.join(", ", Models.NAMES) + ") nor an existing file");
    }

    /** A model file (ONNX, float or int8) read onto {@code heap} with every check of its format. */
    private static ModelSource readFile(String spec, Backend heap) {
        Path file = Path.of(spec);
        if (OnnxImporter.isOnnxPath(spec)) {
            if (Files.isDirectory(file)) throw new ModelFormatException(file + ": is a directory, not an ONNX file");
            OnnxImporter.Imported imp = OnnxImporter.importFile(file, heap);
            return new ModelSource(spec, false, imp.graph(), null, imp.provenance());
        }
        if (Files.isDirectory(file)) throw new ModelFormatException(file + ": is a directory, not a model file");
        ModelIO.AnyModel m = ModelIO.loadAny(file, heap);
        if (m instanceof ModelIO.Int8File q) return new ModelSource(spec, false, null, q.loaded().model(), q.loaded().provenance());
        ModelIO.LoadedModel f = ((ModelIO.FloatModel) m).loaded();
        return new ModelSource(spec, false, f.graph(), null, f.provenance());
    }

    /**
     * A MODEL argument after {@link #read}: a built-in name (built on the backend it is put on) or a file read onto the heap.
     * A float file's heap copy is let go once the model is put on another backend, so that a command does not hold its
     * parameters twice (a large ONNX file's weights would otherwise sit on the heap beside the backend's copy for the
     * whole run); a later {@link #on} or {@link #inspect} reads the file again, with every check.
     */
    static final class Read {
        private final String spec;
        private final long seed;
        private final Backend heap;
        private final boolean builtIn;
        private final boolean int8;
        private ModelSource onHeap; // null for a built-in, and for a float file after it went to another backend

        private Read(String spec, long seed, ModelSource onHeap, Backend heap) {
            this.spec = spec;
            this.seed = seed;
            this.onHeap = onHeap;
            this.heap = heap;
            this.builtIn = onHeap == null;
            this.int8 = onHeap != null && onHeap.isInt8();
        }

        String spec() { return spec; }

        long seed() { return seed; }

        /**
         * The model on {@code backend}: a built-in initialised there, a float file's parameters copied there (a new
         * copy per call, so that one file can go to several backends), an int8 file as read (it holds no tensors).
         */
        ModelSource on(Backend backend) { return on(backend, Models.FASHION_MNIST_INPUT, Models.FASHION_MNIST_CLASSES); }

        /** As {@link #on(Backend)}, a built-in model built for samples of {@code input} and {@code classes} classes (a file keeps its own). */
        ModelSource on(Backend backend, Shape input, int classes) {
            if (builtIn) return new ModelSource(spec, true, Models.byName(spec, backend, seed, input, classes), null, Map.of());
            ModelSource read = heapCopy();
            if (read.isInt8() || backend == heap) return read;
            onHeap = null; // the backend's copy below is what the command uses; the heap's goes with the last reference to it
            return new ModelSource(spec, false, copy(read.graph, backend), null, read.provenance);
        }

        /** The model on the heap it was read to (a built-in built there), for commands that only inspect it. */
        ModelSource inspect() { return builtIn ? on(CliSupport.inspectionBackend()) : heapCopy(); }

        private ModelSource heapCopy() {
            if (onHeap == null) onHeap = readFile(spec, heap);
            return onHeap;
        }

        /** This, or the usage error of {@link ModelSource#graph()} when the file is an int8 model and the command needs a float one. */
        Read requireFloat() {
            if (int8) heapCopy().graph();
            return this;
        }

        boolean isInt8() { return int8; }

        boolean builtIn() { return builtIn; }
    }

    /** {@link #read} then {@link Read#on}: for callers that already hold their backend (a teacher, tests). */
    static ModelSource load(String spec, Backend backend, long seed) { return read(spec, seed).on(backend); }

    static Graph copy(Graph g, Backend backend) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (Parameter p : g.params().values()) {
            params.put(p.name(), new Parameter(p.name(), backend.fromFloats(p.value().toFloatArray(), p.value().shape()), p.trainable()));
        }
        return new Graph(g.name(), g.inputShape(), g.nodes(), g.output(), params);
    }

    boolean isInt8() { return int8 != null; }

    /** The float graph; an int8 model file has none, which is a usage error of the command asking. */
    @Override
    public Graph graph() {
        if (graph == null) {
            throw new IllegalArgumentException(spec + " is an int8 model (written by 'quantize --out'); this command needs the float model it was made from");
        }
        return graph;
    }

    String name() { return isInt8() ? int8.name() : graph.name(); }

    /** One sample's input shape, [C, H, W]. */
    Shape inputShape() { return isInt8() ? int8.inputShape() : graph.inputShape(); }

    /** Logits per sample: the output's size. */
    int outputs() {
        Graph g = isInt8() ? int8.floatGraph(CliSupport.inspectionBackend()) : graph;
        try {
            return g.inferShapes().get(g.output()).numel();
        } finally {
            if (isInt8()) for (var p : g.params().values()) p.value().close();
        }
    }

    private static boolean looksLikePath(String s) {
        return s.contains("/") || s.contains(java.io.File.separator) || s.endsWith(".safetensors");
    }

    /** True for an ONNX file imported on the fly. */
    boolean isOnnx() { return !builtIn && OnnxImporter.isOnnxPath(spec); }

    /** "student (built-in, seed 42)", "runs/a.safetensors (student)", "runs/a-int8.safetensors (student, int8)" or "m.onnx (m, imported from ONNX)". */
    String describe(long seed) {
        if (builtIn) return spec + " (built-in, untrained, seed " + seed + ")";
        return spec + " (" + name() + (isInt8() ? ", int8" : "") + (isOnnx() ? ", imported from ONNX" : "") + ")";
    }
}
