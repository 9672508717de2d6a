package dev.nncompress.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
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

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors):
 * an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON mapping tensor names to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} plus an optional {@code
 * "__metadata__"} string map, then the raw little-endian tensor bytes, offsets relative to the
 * start of that data section.
 *
 * <p>Reading is as strict as the reference implementation (tensors must tile the data section
 * exactly, no trailing bytes) so that anything we accept, other readers accept too.
 */
public final class SafeTensors {

    static final String METADATA_KEY = "__metadata__";

    /** Same cap as the reference implementation; guards against absurd header lengths. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Heap buffers are written in slices so the JDK's temporary direct buffer stays small. */
    private static final int WRITE_CHUNK = 1 << 20;

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private SafeTensors() {
    }

    /**
     * Writes {@code tensors} (in their iteration order; pass a LinkedHashMap) and {@code
     * metadata} (may be null; written sorted by key so the bytes do not depend on the map type)
     * to {@code file}.
     *
     * <p>The bytes go to a temporary file in the same directory that is then renamed over
     * {@code file}, so readers see either the old file or the complete new one, never a partial
     * write, and a failure leaves any existing file untouched. The same input always produces the
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
        Path target = file.toAbsolutePath();
        Path tmp = AtomicFiles.createTemp(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(0, header.length);
                writeFully(ch, prefix);
                writeFully(ch, ByteBuffer.wrap(header));
                for (TensorRecord t : tensors.values()) {
                    writeFully(ch, t.data());
                    afterEachTensor.run();
                }
                ch.force(true); // the rename must not become durable before the data
            }
            AtomicFiles.moveOver(tmp, target);
        } catch (Throwable t) {
            AtomicFiles.deleteQuietly(tmp, t);
            throw t;
        }
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
                    + " exceeds the " + MAX_HEADER_BYTES + "-byte limit");
        }
        byte[] headerBytes = new byte[(int) n];
        all.get(8, headerBytes);
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j
                    ? j.getOriginalMessage() : e.toString();
            throw new ModelFormatException(source + ": header is not valid JSON: " + why, e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(source + ": header must be a JSON object, got "
                    + (root == null || root.isMissingNode() ? "nothing" : root.getNodeType()));
        }
        long dataStart = 8 + n;
        long dataLen = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                readMetadata(source, field.getValue(), metadata);
            } else {
                entries.add(readEntry(source, field.getKey(), field.getValue(), dataLen));
            }
        }
        checkTiling(source, entries, dataLen);

        Map<String, TensorRecord> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            ByteBuffer bytes = all.slice((int) (dataStart + e.begin), (int) (e.end - e.begin));
            tensors.put(e.name, new TensorRecord(e.dtype, e.shape, bytes));
        }
        return new SafeTensorsFile(source, tensors, metadata);
    }

    private record Entry(String name, String dtype, long[] shape, long begin, long end) {
    }

    private static Entry readEntry(Path source, String name, JsonNode node, long dataLen) {
        String where = source + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new ModelFormatException(where + ": entry must be a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFormatException(where + ": missing or non-string \"dtype\"");
        }
        String dtype = dtypeNode.asText();
        Integer elementSize = TensorRecord.DTYPE_SIZES.get(dtype);
        if (elementSize == null) {
            throw new ModelFormatException(where + ": unknown dtype '" + dtype + "'; known: "
                    + TensorRecord.DTYPE_SIZES.keySet());
        }
        long[] shape = longArray(where, node, "shape", -1);
        long[] offsets = longArray(where, node, "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataLen) {
            throw new ModelFormatException(where + ": data_offsets " + Arrays.toString(offsets)
                    + " out of bounds of the " + dataLen + "-byte data section");
        }
        long expected;
        try {
            expected = Math.multiplyExact(TensorRecord.numElements(shape), elementSize);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + ": shape " + Arrays.toString(shape)
                    + " is too large", e);
        }
        if (expected != end - begin) {
            throw new ModelFormatException(where + ": shape " + Arrays.toString(shape) + " of "
                    + dtype + " needs " + expected + " bytes but data_offsets "
                    + Arrays.toString(offsets) + " span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Non-negative integer array field; {@code length} -1 means any length. */
    private static long[] longArray(String where, JsonNode node, String key, int length) {
        JsonNode a = node.get(key);
        if (a == null || !a.isArray() || (length >= 0 && a.size() != length)) {
            throw new ModelFormatException(where + ": \"" + key + "\" must be an array"
                    + (length >= 0 ? " of " + length + " integers" : " of integers")
                    + ", got " + a);
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new ModelFormatException(where + ": \"" + key
                        + "\" must hold non-negative integers, got " + a);
            }
            out[i] = v.asLong();
        }
        return out;
    }

    private static void readMetadata(Path source, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new ModelFormatException(source + ": \"" + METADATA_KEY
                    + "\" must be a JSON object of strings");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(source + ": metadata value for '" + e.getKey()
                        + "' must be a string, got " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asText());
        }
    }

    /** Tensors must cover the data section exactly once: no overlap, gap or trailing bytes. */
    private static void checkTiling(Path source, List<Entry> entries, long dataLen) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin < covered) {
                throw new ModelFormatException(source + ": tensor '" + e.name
                        + "' data_offsets [" + e.begin + ", " + e.end + "] overlap tensor '"
                        + previous.name + "' [" + previous.begin + ", " + previous.end + "]");
            }
            if (e.begin > covered) {
                throw new ModelFormatException(source + ": bytes [" + covered + ", " + e.begin
                        + ") of the data section belong to no tensor (gap before tensor '"
                        + e.name + "')");
            }
            covered = e.end;
            previous = e;
        }
        if (covered != dataLen) {
            throw new ModelFormatException(source + ": " + (dataLen - covered)
                    + " trailing bytes after the last tensor (data section is " + dataLen
                    + " bytes, tensors cover " + covered + ")");
        }
    }

    /** Header JSON, space-padded to a multiple of 8 bytes like the reference writer. */
    static byte[] encodeHeader(Map<String, TensorRecord> tensors, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                if (e.getValue() == null) {
                    throw new IllegalArgumentException("metadata '" + e.getKey() + "' is null");
                }
                meta.put(e.getKey(), e.getValue());
            }
        }
        long offset = 0;
        for (Map.Entry<String, TensorRecord> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("invalid tensor name '" + name + "'");
            }
            TensorRecord t = e.getValue();
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
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
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
