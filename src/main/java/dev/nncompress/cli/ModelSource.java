package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.models.Models;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A MODEL argument: a built-in model name ({@link Models#NAMES}, freshly initialised from a seed) or
 * a model file written by {@link ModelIO}. A built-in name wins over a file of the same name in the
 * working directory; write {@code ./student} for the file.
 */
record ModelSource(String spec, boolean builtIn, Graph graph, Map<String, String> provenance) {

    static ModelSource load(String spec, Backend backend, long seed) {
        if (Models.NAMES.contains(spec)) {
            return new ModelSource(spec, true, Models.byName(spec, backend, seed), Map.of());
        }
        Path file = Path.of(spec);
        if (Files.exists(file) || looksLikePath(spec)) {
            if (Files.isDirectory(file)) throw new ModelFormatException(file + ": is a directory, not a model file");
            ModelIO.LoadedModel m = ModelIO.load(file, backend);
            return new ModelSource(spec, false, m.graph(), m.provenance());
        }
        throw new IllegalArgumentException("unknown model '" + spec + "': neither a built-in model ("
                + String.join(", ", Models.NAMES) + ") nor an existing file");
    }

    private static boolean looksLikePath(String s) {
        return s.contains("/") || s.contains(java.io.File.separator) || s.endsWith(".safetensors");
    }

    /** "student (built-in, seed 42)" or "runs/a.safetensors (student)". */
    String describe(long seed) {
        return builtIn ? spec + " (built-in, untrained, seed " + seed + ")" : spec + " (" + graph.name() + ")";
    }
}
