package dev.nncompress.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nncompress.tensor.NmPattern;

import dev.nncompress.util.Quoted;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Bitmask storage of mostly-zero F32 tensors in a model file, so that a pruned model's file really
 * shrinks. A tensor {@code T} of n elements is stored as two safetensors entries:
 * {@code T.bitmask} (U8, ceil(n/8) bytes; bit i of the row-major element index is bit {@code i % 8},
 * least significant first, of byte {@code i / 8}, as numpy's {@code packbits(bitorder="little")};
 * padding bits are 0) and {@code T.values} (F32, the elements whose bit is set, in row-major order),
 * plus an entry in the {@value #METADATA_KEY} metadata (JSON {@code {"T": {"format": "bitmask",
 * "shape": [..]}}}). Only the bit pattern of +0.0 counts as zero, so -0.0 is kept as a value and the
 * dense tensor comes back bit for bit. Cost: n/8 + 4*nnz bytes instead of 4n, so 90% zeros is 7.6x
 * smaller; a tensor is stored this way only when that saves more than {@link #HEADER_ALLOWANCE} bytes.
 * An N:M sparse tensor may instead be stored in the N:M layout of {@link NmStorage} (same metadata key, format
 * {@code "nm"}), whichever is smaller.
 */
public final class SparseStorage {
    public static final String METADATA_KEY = "nncompress.sparse";
    static final String BITMASK_SUFFIX = ".bitmask";
    static final String VALUES_SUFFIX = ".values";
    static final String FORMAT = "bitmask";
    /** Roughly what the second header entry and the metadata entry cost; below this saving, dense wins. */
    static final int HEADER_ALLOWANCE = 160;
    private static final JsonMapper JSON = new JsonMapper();

    private SparseStorage() {}

    /** The two stored parts of one sparse tensor. */
    record Parts(TensorRecord bitmask, TensorRecord values) {}

    /** Number of elements whose bits are not those of +0.0. */
    static int nonZeros(float[] v) {
        int nnz = 0;
        for (float f : v) if (Float.floatToRawIntBits(f) != 0) nnz++;
        return nnz;
    }

    /** Whether the bitmask form of a tensor with these values saves space. */
    static boolean smallerAsBitmask(float[] v) {
        long dense = 4L * v.length;
        long sparse = (v.length + 7L) / 8 + 4L * nonZeros(v);
        return sparse + HEADER_ALLOWANCE < dense;
    }

    static Parts encode(float[] v) {
        byte[] bits = new byte[(v.length + 7) / 8];
        float[] values = new float[nonZeros(v)];
        int k = 0;
        for (int i = 0; i < v.length; i++) {
            if (Float.floatToRawIntBits(v[i]) != 0) {
                bits[i >>> 3] |= (byte) (1 << (i & 7));
                values[k++] = v[i];
            }
        }
        return new Parts(TensorRecord.ofUnsignedBytes(bits, bits.length), TensorRecord.ofFloats(values, values.length));
    }

    /** The dense F32 tensor of {@code shape}; every inconsistency is an IllegalArgumentException naming {@code name}. */
    static TensorRecord decode(String name, long[] shape, TensorRecord bitmask, TensorRecord values) {
        String what = "sparse tensor " + Quoted.of(name) + ": ";
        long n = denseElements(what, shape);
        if (!"U8".equals(bitmask.dtype()) || bitmask.shape().length != 1) {
            throw new IllegalArgumentException(what + Quoted.of(name + BITMASK_SUFFIX) + " must be a 1-D U8 tensor, got "
                    + bitmask.dtype() + " " + Arrays.toString(bitmask.shape()));
        }
        if (!"F32".equals(values.dtype()) || values.shape().length != 1) {
            throw new IllegalArgumentException(what + Quoted.of(name + VALUES_SUFFIX) + " must be a 1-D F32 tensor, got "
                    + values.dtype() + " " + Arrays.toString(values.shape()));
        }
        // The bitmask must be exactly as long as the shape says: so a tensor costs at least n/8 file bytes.
        if (bitmask.byteSize() != (n + 7) / 8) {
            throw new IllegalArgumentException(what + "bitmask has " + bitmask.byteSize() + " bytes but shape "
                    + Arrays.toString(shape) + " needs " + (n + 7) / 8);
        }
        byte[] bits = bitmask.toBytes();
        long set = 0;
        for (byte b : bits) set += Integer.bitCount(b & 0xff);
        int padding = (int) (8L * bits.length - n);
        if (padding > 0 && (bits[bits.length - 1] & 0xff) >>> (8 - padding) != 0) {
            throw new IllegalArgumentException(what + "bitmask has bits set past the last of its " + n + " elements");
        }
        if (set != values.numElements()) {
            throw new IllegalArgumentException(what + "bitmask marks " + set + " nonzero elements but "
                    + Quoted.of(name + VALUES_SUFFIX) + " holds " + values.numElements() + " values");
        }
        FloatBuffer v = values.data().asFloatBuffer();
        ByteBuffer dense = ByteBuffer.allocate((int) (4 * n)).order(ByteOrder.LITTLE_ENDIAN); // zero-filled: +0.0
        for (int i = 0; i < n; i++) if ((bits[i >>> 3] & (1 << (i & 7))) != 0) dense.putFloat(4 * i, v.get());
        return new TensorRecord("F32", shape, dense);
    }

    /** Elements of a dense F32 tensor of {@code shape}, which must fit one Java array of bytes. */
    static long denseElements(String what, long[] shape) {
        long n;
        try {
            n = TensorRecord.numElements(shape);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + "shape " + Arrays.toString(shape) + " is too large", e);
        }
        if (n > (Integer.MAX_VALUE - 8) / 4) {
            throw new IllegalArgumentException(what + "shape " + Arrays.toString(shape) + " is too large for one dense array");
        }
        return n;
    }

    /**
     * Encodes every F32 tensor of {@code dense} whose bitmask or N:M form ({@link NmStorage}) is smaller; returns the
     * tensors to write (same order, a sparse tensor's two parts in its place) and puts the {@value #METADATA_KEY}
     * entry into {@code meta} when any tensor is sparse. Between the two sparse forms the one with fewer data bytes
     * wins, N:M on a tie (2:4 costs exactly what the bitmask does at 50% zeros, and its layout is the one N:M
     * kernels read); either must save more than {@link #HEADER_ALLOWANCE} bytes over dense.
     */
    static Map<String, TensorRecord> encodeAll(Map<String, TensorRecord> dense, Map<String, String> meta) {
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        ObjectNode index = JSON.createObjectNode();
        for (var e : dense.entrySet()) {
            TensorRecord t = e.getValue();
            String name = e.getKey();
            float[] v = "F32".equals(t.dtype()) ? t.toFloats() : null;
            if (v == null) {
                out.put(name, t);
                continue;
            }
            long denseBytes = 4L * v.length;
            long bitmaskBytes = (v.length + 7L) / 8 + 4L * nonZeros(v);
            NmPattern nm = NmStorage.smallest(v, t.shape());
            long nmBytes = nm == null ? Long.MAX_VALUE : NmStorage.dataBytes(nm, v.length / NmPattern.rowLength(t.shape()), NmPattern.rowLength(t.shape()));
            if (Math.min(bitmaskBytes, nmBytes) + HEADER_ALLOWANCE >= denseBytes) {
                out.put(name, t);
                continue;
            }
            ObjectNode entry = index.putObject(name);
            if (nmBytes <= bitmaskBytes) {
                NmStorage.Parts p = NmStorage.encode(v, NmPattern.rowLength(t.shape()), nm);
                out.put(name + NmStorage.VALUES_SUFFIX, p.values());
                out.put(name + NmStorage.INDICES_SUFFIX, p.indices());
                entry.put("format", NmStorage.FORMAT);
                entry.put("n", nm.n());
                entry.put("m", nm.m());
            } else {
                Parts p = encode(v);
                out.put(name + BITMASK_SUFFIX, p.bitmask());
                out.put(name + VALUES_SUFFIX, p.values());
                entry.put("format", FORMAT);
            }
            var shape = entry.putArray("shape");
            for (long d : t.shape()) shape.add(d);
        }
        if (!index.isEmpty()) meta.put(METADATA_KEY, index.toString());
        return out;
    }

    /** One entry of the {@value #METADATA_KEY} index: the bitmask form ({@code nm} null) or an N:M one. */
    private record Entry(long[] shape, NmPattern nm) {
        String first() { return nm == null ? BITMASK_SUFFIX : NmStorage.VALUES_SUFFIX; }

        String second() { return nm == null ? VALUES_SUFFIX : NmStorage.INDICES_SUFFIX; }
    }

    /**
     * The tensors of a file with every sparse tensor decoded to its dense F32 form, in file order (a sparse
     * tensor where its first part was). A file without {@value #METADATA_KEY} comes back unchanged. The total
     * decoded size is checked against {@link DecodeLimits} before any tensor is decoded.
     */
    static Map<String, TensorRecord> decodeAll(SafeTensorsFile st) {
        String json = st.metadata().get(METADATA_KEY);
        if (json == null) return st.tensors();
        Map<String, Entry> entries = parseIndex(json);
        Map<String, String> firstParts = new HashMap<>(); // first part's key -> tensor name
        Set<String> parts = new HashSet<>();
        long decodedBytes = 0;
        for (var e : entries.entrySet()) {
            String name = e.getKey();
            Entry en = e.getValue();
            for (String suffix : new String[] {en.first(), en.second()}) {
                if (!st.tensors().containsKey(name + suffix)) {
                    throw new IllegalArgumentException("sparse tensor " + Quoted.of(name) + " is listed in " + METADATA_KEY + " but "
                            + Quoted.of(name + suffix) + " is missing");
                }
                parts.add(name + suffix);
            }
            if (st.tensors().containsKey(name)) throw new IllegalArgumentException("tensor " + Quoted.of(name) + " is stored both dense and sparse");
            firstParts.put(name + en.first(), name);
            decodedBytes += 4 * denseElements("sparse tensor " + Quoted.of(name) + ": ", en.shape()); // < 2^31 each, <= 16384 of them
        }
        for (var e : st.tensors().entrySet()) if (!parts.contains(e.getKey())) decodedBytes += e.getValue().byteSize();
        DecodeLimits.check(st.path(), st.fileBytes(), decodedBytes);
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        for (var e : st.tensors().entrySet()) {
            String key = e.getKey();
            if (!parts.contains(key)) {
                out.put(key, e.getValue());
                continue;
            }
            String name = firstParts.get(key);
            if (name == null) continue; // a second part, decoded with its first
            Entry en = entries.get(name);
            TensorRecord second = st.tensors().get(name + en.second());
            out.put(name, en.nm() == null ? decode(name, en.shape(), e.getValue(), second) : NmStorage.decode(name, en.shape(), en.nm(), e.getValue(), second));
        }
        return out;
    }

    private static Map<String, Entry> parseIndex(String json) {
        JsonNode root = StringMapJson.object(METADATA_KEY, json, "a JSON object");
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (var f : root.properties()) {
            JsonNode entry = f.getValue();
            String name = f.getKey();
            String what = "sparse tensor " + Quoted.of(name) + ": ";
            String format = entry.path("format").asText();
            boolean nm = NmStorage.FORMAT.equals(format);
            JsonNode shapeNode = entry.path("shape");
            if (!entry.isObject() || !(FORMAT.equals(format) || nm) || !shapeNode.isArray() || shapeNode.size() > SafeTensorsHeader.MAX_RANK
                    || nm && !(entry.path("n").canConvertToInt() && entry.path("m").canConvertToInt()
                            && entry.path("n").isIntegralNumber() && entry.path("m").isIntegralNumber())) {
                throw new IllegalArgumentException(what + "expected {\"format\": \"" + FORMAT + "\", \"shape\": [..]} or {\"format\": \""
                        + NmStorage.FORMAT + "\", \"n\": N, \"m\": M, \"shape\": [..]} (rank <= " + SafeTensorsHeader.MAX_RANK + "), got "
                        + Quoted.of(entry));
            }
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                    throw new IllegalArgumentException(what + "bad shape " + Quoted.of(shapeNode));
                }
                shape[i] = d.asLong();
            }
            NmPattern pattern = null;
            if (nm) {
                try {
                    pattern = new NmPattern(entry.get("n").asInt(), entry.get("m").asInt());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(what + e.getMessage(), e);
                }
            }
            entries.put(name, new Entry(shape, pattern));
        }
        return entries;
    }
}
