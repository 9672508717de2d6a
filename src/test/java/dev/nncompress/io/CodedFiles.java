package dev.nncompress.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test support for tests outside this package (CLI, fuzz seeds, crafted files): a coded file's unpacked view (its
 * tensors and plain metadata, as {@code coded/1} stores them) and that view written back in any of the three coded
 * layouts, so that a test can change one number of the index or one tensor and write the file a reader will see.
 */
public final class CodedFiles {
    private CodedFiles() {}

    /** A coded file's tensors and metadata (format included), unpacked from whichever layout it has. */
    public record View(Map<String, TensorRecord> tensors, Map<String, String> metadata) {
        public View {
            tensors = new LinkedHashMap<>(tensors);
            metadata = new LinkedHashMap<>(metadata);
        }
    }

    public static View read(Path file) {
        SafeTensorsFile st = ModelIO.readFile(file);
        return new View(st.tensors(), st.metadata());
    }

    /** Writes {@code v} (its format ignored) as {@code coded/1}: the tensors and the metadata as plain entries. */
    public static void writeCoded1(Path file, View v) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(v.metadata());
        meta.put(Int8ModelIO.FORMAT_KEY, CodedStorage.FORMAT_V1);
        SafeTensors.write(file, v.tensors(), meta);
    }

    /** Writes {@code v} as {@code coded/2}: the tensors, and the metadata packed in one deflated base64 value. */
    public static void writeCoded2(Path file, View v) throws IOException {
        SafeTensors.write(file, v.tensors(), PackedMetadata.pack(v.metadata(), CodedStorage.FORMAT_V2));
    }

    /** Writes {@code v} as this build writes a coded file ({@code coded/3}: one body with a deflated header). */
    public static void writeCoded3(Path file, View v) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(v.metadata());
        SafeTensors.write(file, CodedContainer.pack(v.tensors(), meta, CodedStorage.FORMAT), meta);
    }

    /** The format name this build writes. */
    public static String format() { return CodedStorage.FORMAT; }
}
