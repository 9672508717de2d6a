package dev.nncompress.io;

import dev.nncompress.util.Quoted;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A parsed safetensors file.
 *
 * @param path      where it was read from (used in error messages)
 * @param fileBytes the file's size: what decoded sizes are bounded by ({@link DecodeLimits})
 * @param tensors   tensors in header order; their data are views on the memory-mapped file
 * @param metadata  the {@code __metadata__} entries in header order, empty if there were none
 */
public record SafeTensorsFile(Path path, long fileBytes, Map<String, TensorRecord> tensors,
        Map<String, String> metadata) {

    public SafeTensorsFile {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** The named tensor; ModelFormatException naming the file if it is absent. */
    public TensorRecord tensor(String name) {
        TensorRecord t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(path + ": no tensor named " + Quoted.of(name) + " (has "
                    + tensors.size() + ": " + Quoted.of(tensors.keySet()) + ")");
        }
        return t;
    }
}
