package dev.nncompress.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.nncompress.io.SafeTensorsHeader.Entry;
import dev.nncompress.util.Quoted;

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors):
 * an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON mapping tensor names to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} plus an optional {@code
 * "__metadata__"} string map, then the raw little-endian tensor bytes, offsets relative to the
 * start of that data section.
 *
 * <p>Reading is as strict as the reference implementation (tensors must tile the data section
 * exactly, no trailing bytes) so that anything we accept, other readers accept too, and bounded
 * by the limits of {@link SafeTensorsHeader} (8 MiB header, 16,384 tensors, ...), which the writer
 * enforces too.
 */
public final class SafeTensors {

    static final String METADATA_KEY = SafeTensorsHeader.METADATA_KEY;

    /** The header limit of this reader and writer (8 MiB; why: {@link SafeTensorsHeader}). */
    static final long MAX_HEADER_BYTES = SafeTensorsHeader.MAX_HEADER_BYTES;

    /** Heap buffers are written in slices so the JDK's temporary direct buffer stays small. */
    private static final int WRITE_CHUNK = 1 << 20;

    /** Writes only: reading streams through {@link SafeTensorsHeader}. */
    private static final JsonMapper JSON = new JsonMapper();

    private SafeTensors() {
    }

    /**
     * Writes {@code tensors} (in their iteration order; pass a LinkedHashMap) and {@code
     * metadata} (may be null; written sorted by key so the bytes do not depend on the map type)
     * to {@code file}.
     *
     * <p>Written through {@link AtomicFiles} (temporary file, fsync, rename, fsync of the directory),
     * so readers see either the old file or the complete new one, never a partial write, and a
     * failure leaves any existing file untouched. The same input always produces the
     * same bytes. Tensors are stored back to back with no alignment padding (the format forbids
     * gaps); put wide dtypes first if readers need aligned data.
     */
    public static void write(Path file, Map<String, TensorRecord> tensors,
            Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, () -> { });
    }

    /** As above; {@code afterEachTensor} runs after each tensor's bytes so tests can fail there. */
    static void write(Path file, Map<String, TensorRecord> tensors, Map<String, String> metadata,
            Runnable afterEachTensor) throws IOException {
        byte[] header = encodeHeader(tensors, metadata); // validates before touching the disk
        AtomicFiles.write(file, ch -> {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(0, header.length);
            writeFully(ch, prefix);
            writeFully(ch, ByteBuffer.wrap(header));
            for (TensorRecord t : tensors.values()) {
                writeFully(ch, t.data());
                afterEachTensor.run();
            }
        });
    }

    /** Reads and validates {@code file}; tensor data are views on a read-only memory map. */
    public static SafeTensorsFile read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new ModelFormatException(file + ": " + size
                        + " bytes is too large for this reader (2 GiB limit)");
            }
            // The mapping stays valid after the channel closes; writers replace files by rename,
            // so a mapped file is never rewritten underneath us.
            ByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return parse(all, file);
        }
    }

    /** Parses a whole safetensors image held in {@code all} (position 0 to limit). */
    static SafeTensorsFile parse(ByteBuffer all, Path source) {
        all = all.slice().order(ByteOrder.LITTLE_ENDIAN);
        long size = all.remaining();
        if (size < 8) {
            throw new ModelFormatException(source + ": file is " + size
                    + " bytes, shorter than the 8-byte header length prefix");
        }
        long n = all.getLong(0);
        if (n < 0 || n > size - 8) {
            throw new ModelFormatException(source + ": header length "
                    + Long.toUnsignedString(n) + " is larger than the " + (size - 8)
                    + " bytes after the length prefix (file is " + size + " bytes)");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new ModelFormatException(source + ": header length " + n
                    + " exceeds the " + MAX_HEADER_BYTES + "-byte limit of this reader");
        }
        byte[] headerBytes = new byte[(int) n];
        all.get(8, headerBytes);
        long dataStart = 8 + n;
        long dataLen = size - dataStart;
        SafeTensorsHeader.Parsed header = SafeTensorsHeader.parse(headerBytes, source, dataLen);
        List<Entry> entries = header.entries();
        checkTiling(source, entries, dataLen);

        Map<String, TensorRecord> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            ByteBuffer bytes = all.slice((int) (dataStart + e.begin()), (int) (e.end() - e.begin()));
            tensors.put(e.name(), new TensorRecord(e.dtype(), e.shape(), bytes));
        }
        return new SafeTensorsFile(source, size, tensors, header.metadata());
    }

    /** Tensors must cover the data section exactly once: no overlap, gap or trailing bytes. */
    private static void checkTiling(Path source, List<Entry> entries, long dataLen) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < covered) {
                throw new ModelFormatException(source + ": tensor " + Quoted.of(e.name())
                        + " data_offsets [" + e.begin() + ", " + e.end() + "] overlap tensor "
                        + Quoted.of(previous.name()) + " [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (e.begin() > covered) {
                throw new ModelFormatException(source + ": bytes [" + covered + ", " + e.begin()
                        + ") of the data section belong to no tensor (gap before tensor "
                        + Quoted.of(e.name()) + ")");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataLen) {
            throw new ModelFormatException(source + ": " + (dataLen - covered)
                    + " trailing bytes after the last tensor (data section is " + dataLen
                    + " bytes, tensors cover " + covered + ")");
        }
    }

    /**
     * Header JSON, space-padded to a multiple of 8 bytes like the reference writer. Refuses what the reader
     * would refuse (the limits of {@link SafeTensorsHeader}), so that nothing we write fails to load.
     */
    static byte[] encodeHeader(Map<String, TensorRecord> tensors, Map<String, String> metadata) {
        if (tensors.size() > SafeTensorsHeader.MAX_TENSORS) {
            throw new IllegalArgumentException(tensors.size() + " tensors, more than the format limit of "
                    + SafeTensorsHeader.MAX_TENSORS);
        }
        if (metadata != null && metadata.size() > SafeTensorsHeader.MAX_METADATA_ENTRIES) {
            throw new IllegalArgumentException(metadata.size() + " metadata entries, more than the format limit of "
                    + SafeTensorsHeader.MAX_METADATA_ENTRIES);
        }
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                if (e.getValue() == null) {
                    throw new IllegalArgumentException("metadata " + Quoted.of(e.getKey()) + " is null");
                }
                checkName("metadata key", e.getKey());
                meta.put(e.getKey(), e.getValue());
            }
        }
        long offset = 0;
        for (Map.Entry<String, TensorRecord> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("invalid tensor name " + Quoted.of(name));
            }
            checkName("tensor name", name);
            TensorRecord t = e.getValue();
            if (t.shape().length > SafeTensorsHeader.MAX_RANK) {
                throw new IllegalArgumentException("tensor " + Quoted.of(name) + " has rank " + t.shape().length
                        + ", more than the format limit of " + SafeTensorsHeader.MAX_RANK);
            }
            ObjectNode entry = root.putObject(name);
            entry.put("dtype", t.dtype());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + t.byteSize());
            offset += t.byteSize();
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode safetensors header", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("safetensors header of " + padded + " bytes exceeds the "
                    + MAX_HEADER_BYTES + "-byte limit");
        }
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    private static void checkName(String what, String name) {
        if (name.length() > SafeTensorsHeader.MAX_NAME_CHARS) {
            throw new IllegalArgumentException(what + " " + Quoted.of(name) + " is longer than the format limit of "
                    + SafeTensorsHeader.MAX_NAME_CHARS + " characters");
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ByteBuffer chunk = buf.slice();
            chunk.limit(Math.min(chunk.remaining(), WRITE_CHUNK));
            while (chunk.hasRemaining()) {
                ch.write(chunk);
            }
            buf.position(buf.position() + chunk.position());
        }
    }
}
