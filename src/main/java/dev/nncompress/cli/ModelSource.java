package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A MODEL argument: a built-in model name ({@link Models#NAMES}, freshly initialised from a seed), a
 * float model file written by {@link ModelIO}, an ONNX file ({@code *.onnx}, imported on the fly by
 * {@link OnnxImporter}, as {@code nncompress import} would), or an int8 model file written by
 * {@code quantize --out} (then {@link #int8()} is set and {@link #graph()} refuses). A built-in name wins over a file of the
 * same name in the working directory; write {@code ./student} for the file.
 */
record ModelSource(String spec, boolean builtIn, Graph graph, Int8Model int8, Map<String, String> provenance) {

    static ModelSource load(String spec, Backend backend, long seed) {
        return load(spec, backend, seed, Models.FASHION_MNIST_INPUT, Models.FASHION_MNIST_CLASSES);
    }

    /** As {@link #load(String, Backend, long)}, a built-in model built for samples of {@code input} and {@code classes} classes. */
    static ModelSource load(String spec, Backend backend, long seed, Shape input, int classes) {
        if (Models.NAMES.contains(spec)) {
            return new ModelSource(spec, true, Models.byName(spec, backend, seed, input, classes), null, Map.of());
        }
        Path file = Path.of(spec);
        if (OnnxImporter.isOnnxPath(spec)) {
            if (Files.isDirectory(file)) throw new ModelFormatException(file + ": is a directory, not an ONNX file");
            OnnxImporter.Imported imp = OnnxImporter.importFile(file, backend);
            return new ModelSource(spec, false, imp.graph(), null, imp.provenance());
        }
        if (Files.exists(file) || looksLikePath(spec)) {
            if (Files.isDirectory(file)) throw new ModelFormatException(file + ": is a directory, not a model file");
            ModelIO.AnyModel m = ModelIO.loadAny(file, backend);
            if (m instanceof ModelIO.Int8File q) return new ModelSource(spec, false, null, q.loaded().model(), q.loaded().provenance());
            ModelIO.LoadedModel f = ((ModelIO.FloatModel) m).loaded();
            return new ModelSource(spec, false, f.graph(), null, f.provenance());
        }
        throw new IllegalArgumentException("unknown model '" + spec + "': neither a built-in model ("
                + String.join(", ", Models.NAMES) + ") nor an existing file");
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
