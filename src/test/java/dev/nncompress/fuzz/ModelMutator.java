package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.graph.OpType;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.SafeTensors;
import dev.nncompress.io.SafeTensorsImage;
import dev.nncompress.io.TensorRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Structure-aware mutations of valid model files: the graph description (attribute values, input shape,
 * ops, wiring, output), the sparse index, tensor shapes (with data of the new size, so that the container
 * stays valid and the loader's semantic checks are what is fuzzed), single tensor values (scales, zero
 * points, NaN) and metadata keys. The fuzzer's bytes choose the base model (the model targets' committed
 * seeds: dense, bitmask, N:M and int8 files) and up to four edits; values come from lists of boundary
 * cases (0, +-1, 2^31-1, -2^31, huge, NaN, fractions) or straight from the bytes.
 */
final class ModelMutator {
    private static final JsonMapper JSON = new JsonMapper();
    private static final String SPARSE_KEY = "nncompress.sparse";
    private static final String[] ATTRS = {"kernel_h", "kernel_w", "stride_h", "stride_w", "pad_h", "pad_w", "eps", "momentum", "p", "relu"};
    private static final int[] INTS = {0, 1, -1, 2, 3, 4, 7, 8, 28, 255, 256, 672, 46340, 46341, 65535, 65536, 1 << 20, 1 << 30,
        Integer.MAX_VALUE, Integer.MAX_VALUE - 1, Integer.MIN_VALUE, Integer.MIN_VALUE + 1};
    private static final double[] DOUBLES = {0.5, -0.5, 1.5, 0.999999, 1e-5, 1e-300, 1e300, -1e300, 2147483648.0, 4294967296.0, 9007199254740993.0,
        9.3e18, -9.3e18, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -0.0};
    private static final float[] FLOATS = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
        -Float.MAX_VALUE, Float.MIN_VALUE, 1e-30f, 1e30f, 65504f};
    /** A reshaped tensor gets data only up to this many elements (the file would otherwise be the bomb, not the loader). */
    private static final long MAX_NEW_ELEMENTS = 1 << 20;
    private static final List<Base> BASES = loadBases();

    private record Base(String name, Map<String, TensorRecord> tensors, Map<String, String> metadata) {}

    private ModelMutator() {}

    /** A mutated model file: the base's tensors and metadata with the edits the bytes choose, as safetensors bytes. */
    static byte[] mutate(FuzzedDataProvider d) {
        Base base = BASES.get(d.consumeInt(0, BASES.size() - 1));
        Map<String, TensorRecord> tensors = new LinkedHashMap<>(base.tensors());
        Map<String, String> meta = new LinkedHashMap<>(base.metadata());
        ObjectNode graph = (ObjectNode) parse(meta.get(ModelIO.GRAPH_KEY));
        ObjectNode sparse = meta.containsKey(SPARSE_KEY) ? (ObjectNode) parse(meta.get(SPARSE_KEY)) : null;
        int edits = d.consumeInt(1, 4);
        for (int i = 0; i < edits; i++) edit(d, graph, sparse, tensors, meta);
        meta.put(ModelIO.GRAPH_KEY, graph.toString());
        if (sparse != null) meta.put(SPARSE_KEY, sparse.toString());
        return SafeTensorsImage.encode(tensors, meta);
    }

    private static void edit(FuzzedDataProvider d, ObjectNode graph, ObjectNode sparse, Map<String, TensorRecord> tensors, Map<String, String> meta) {
        ArrayNode nodes = (ArrayNode) graph.get("nodes");
        ObjectNode node = nodes.isEmpty() ? null : (ObjectNode) nodes.get(d.consumeInt(0, nodes.size() - 1));
        // attribute values, the point of this target, get a third of the edits; the rest break structure
        switch (d.consumeInt(0, 15)) {
            case 0, 1, 2, 3, 4 -> { if (node != null) setValue(d, (ObjectNode) node.get("attrs"), pickKey(d, node.get("attrs"), ATTRS)); }
            case 5 -> { if (node != null) ((ObjectNode) node.get("attrs")).remove(pickKey(d, node.get("attrs"), ATTRS)); }
            case 6, 7 -> editDims(d, (ArrayNode) graph.get("input_shape"));
            case 8 -> reshape(d, tensors);
            case 9 -> setElement(d, tensors);
            case 10 -> { if (node != null) node.put("op", d.consumeBoolean() ? d.pickValue(OpType.values()).name() : d.consumeString(12)); }
            case 11 -> { if (node != null) rewire(d, (ArrayNode) node.get("inputs"), nodes); }
            case 12 -> reorder(d, nodes);
            case 13 -> graph.put("output", nodes.isEmpty() || d.consumeBoolean() ? "input" : nodes.get(d.consumeInt(0, nodes.size() - 1)).get("name").asText());
            case 14 -> { if (sparse != null && !sparse.isEmpty()) editSparseEntry(d, sparse); }
            default -> editMetadata(d, meta, tensors);
        }
    }

    /** Mostly a key {@code o} has (the op reads it), else one of {@code known}, so that adding keys is tried too. */
    private static String pickKey(FuzzedDataProvider d, JsonNode o, String[] known) {
        List<String> own = new ArrayList<>();
        o.fieldNames().forEachRemaining(own::add);
        List<String> keys = own.isEmpty() || d.consumeInt(0, 3) == 0 ? Arrays.asList(known) : own;
        return keys.get(d.consumeInt(0, keys.size() - 1));
    }

    /** A boundary int, a boundary double (NaN and infinities are written as strings, which the reader accepts), a value from the bytes, or not a number. */
    private static void setValue(FuzzedDataProvider d, ObjectNode o, String key) {
        switch (d.consumeInt(0, 5)) {
            case 0, 1 -> o.put(key, d.pickValue(INTS));
            case 2 -> o.put(key, d.pickValue(DOUBLES));
            case 3 -> o.put(key, d.consumeInt());
            case 4 -> o.put(key, d.consumeDouble());
            default -> {
                switch (d.consumeInt(0, 3)) {
                    case 0 -> o.put(key, d.consumeString(8));
                    case 1 -> o.putNull(key);
                    case 2 -> o.putArray(key).add(1);
                    default -> o.put(key, true);
                }
            }
        }
    }

    private static void editDims(FuzzedDataProvider d, ArrayNode dims) {
        int op = d.consumeInt(0, 3);
        if (op == 0) dims.add(d.pickValue(INTS));
        else if (op == 1 && !dims.isEmpty()) dims.remove(d.consumeInt(0, dims.size() - 1));
        else if (!dims.isEmpty()) dims.set(d.consumeInt(0, dims.size() - 1), dims.numberNode(op == 2 ? d.pickValue(INTS) : d.consumeInt(-2, 64)));
    }

    /** A tensor gets a new shape (one dim changed, or one added or dropped) and data of that size when it is small enough. */
    private static void reshape(FuzzedDataProvider d, Map<String, TensorRecord> tensors) {
        String name = pickTensor(d, tensors);
        TensorRecord t = tensors.get(name);
        long[] s = t.shape();
        int op = d.consumeInt(0, 2);
        if (op == 0 && s.length > 0) s[d.consumeInt(0, s.length - 1)] = d.consumeBoolean() ? d.consumeInt(0, 64) : Math.abs((long) d.pickValue(INTS));
        else if (op == 1) s = append(s, d.consumeInt(0, 16));
        else if (s.length > 0) s = Arrays.copyOf(s, s.length - 1);
        long n;
        try {
            n = TensorRecord.numElements(s);
        } catch (ArithmeticException e) {
            return;
        }
        if (n > MAX_NEW_ELEMENTS) return;
        byte[] old = bytes(t);
        byte[] data = Arrays.copyOf(old, Math.toIntExact(n * TensorRecord.elementSize(t.dtype())));
        tensors.put(name, TensorRecord.ofRaw(t.dtype(), s, data));
    }

    /** One element of one tensor set to a boundary value of its dtype. */
    private static void setElement(FuzzedDataProvider d, Map<String, TensorRecord> tensors) {
        String name = pickTensor(d, tensors);
        TensorRecord t = tensors.get(name);
        long n = t.numElements();
        if (n == 0) return;
        int i = d.consumeInt(0, (int) Math.min(n - 1, Integer.MAX_VALUE));
        ByteBuffer b = ByteBuffer.wrap(bytes(t)).order(ByteOrder.LITTLE_ENDIAN);
        switch (t.dtype()) {
            case "F32" -> b.putFloat(i * 4, d.consumeBoolean() ? d.pickValue(FLOATS) : d.consumeFloat());
            case "I32" -> b.putInt(i * 4, d.consumeBoolean() ? d.pickValue(INTS) : d.consumeInt());
            case "I8", "U8" -> b.put(i, d.consumeByte());
            default -> { return; }
        }
        tensors.put(name, TensorRecord.ofRaw(t.dtype(), t.shape(), b.array()));
    }

    private static void rewire(FuzzedDataProvider d, ArrayNode inputs, ArrayNode nodes) {
        int op = d.consumeInt(0, 2);
        String target = nodes.isEmpty() || d.consumeBoolean() ? "input" : nodes.get(d.consumeInt(0, nodes.size() - 1)).get("name").asText();
        if (op == 0) inputs.add(target);
        else if (op == 1 && !inputs.isEmpty()) inputs.remove(d.consumeInt(0, inputs.size() - 1));
        else if (!inputs.isEmpty()) inputs.set(d.consumeInt(0, inputs.size() - 1), inputs.textNode(target));
    }

    /** Drops a node, duplicates one (a repeated name), or swaps two (a read before the write). */
    private static void reorder(FuzzedDataProvider d, ArrayNode nodes) {
        if (nodes.isEmpty()) return;
        int i = d.consumeInt(0, nodes.size() - 1);
        switch (d.consumeInt(0, 2)) {
            case 0 -> nodes.remove(i);
            case 1 -> nodes.insert(i, nodes.get(i).deepCopy());
            default -> {
                int j = d.consumeInt(0, nodes.size() - 1);
                JsonNode a = nodes.get(i);
                nodes.set(i, nodes.get(j));
                nodes.set(j, a);
            }
        }
    }

    /** The sparse index: N, M, format or a shape dim of one entry. */
    private static void editSparseEntry(FuzzedDataProvider d, ObjectNode sparse) {
        List<String> names = new ArrayList<>();
        sparse.fieldNames().forEachRemaining(names::add);
        ObjectNode e = (ObjectNode) sparse.get(names.get(d.consumeInt(0, names.size() - 1)));
        switch (d.consumeInt(0, 2)) {
            case 0 -> setValue(d, e, d.pickValue(new String[] {"n", "m"}));
            case 1 -> e.put("format", d.pickValue(new String[] {"bitmask", "nm", "dense", ""}));
            default -> { if (e.get("shape") instanceof ArrayNode a) editDims(d, a); }
        }
    }

    /** Drops a metadata key, or relabels the file as int8 / float, or changes the graph format string. */
    private static void editMetadata(FuzzedDataProvider d, Map<String, String> meta, Map<String, TensorRecord> tensors) {
        switch (d.consumeInt(0, 3)) {
            case 0 -> {
                List<String> keys = new ArrayList<>(meta.keySet());
                if (!keys.isEmpty()) meta.remove(keys.get(d.consumeInt(0, keys.size() - 1)));
            }
            case 1 -> {
                if (meta.remove(Int8ModelIO.FORMAT_KEY) == null) meta.put(Int8ModelIO.FORMAT_KEY, Int8ModelIO.FORMAT);
            }
            case 2 -> { if (!tensors.isEmpty()) tensors.remove(pickTensor(d, tensors)); }
            default -> meta.put(Int8ModelIO.INFO_KEY, d.consumeString(16));
        }
    }

    private static String pickTensor(FuzzedDataProvider d, Map<String, TensorRecord> tensors) {
        List<String> names = new ArrayList<>(tensors.keySet());
        return names.get(d.consumeInt(0, names.size() - 1));
    }

    private static long[] append(long[] s, long v) {
        long[] out = Arrays.copyOf(s, s.length + 1);
        out[s.length] = v;
        return out;
    }

    private static byte[] bytes(TensorRecord t) {
        ByteBuffer b = t.data();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The committed seeds of the model targets, read once into memory. */
    private static List<Base> loadBases() {
        List<Base> out = new ArrayList<>();
        for (var t : List.of(Map.entry(FloatModelFuzzTest.class, "floatModel"), Map.entry(SparseModelFuzzTest.class, "sparseModel"),
                Map.entry(NmModelFuzzTest.class, "nmModel"), Map.entry(Int8ModelFuzzTest.class, "int8Model"))) {
            Path dir = SeedCorpus.seeds(classPathRoot(), t.getKey(), t.getValue());
            try (var files = Files.list(dir)) {
                for (Iterator<Path> it = files.sorted().iterator(); it.hasNext(); ) {
                    Path f = it.next();
                    var st = SafeTensors.read(f);
                    Map<String, TensorRecord> copies = new LinkedHashMap<>();
                    st.tensors().forEach((k, v) -> copies.put(k, TensorRecord.ofRaw(v.dtype(), v.shape(), bytes(v)))); // off the mapping
                    out.add(new Base(f.getFileName().toString(), copies, st.metadata()));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the model seeds in " + dir + ": " + e.getMessage(), e);
            }
        }
        if (out.isEmpty()) throw new IllegalStateException("no model seeds on the class path; run scripts/fuzz.sh --seeds");
        return List.copyOf(out);
    }

    /** The class-path folder of this package (target/test-classes/dev/nncompress/fuzz). */
    static Path classPathRoot() {
        try {
            return Path.of(ModelMutator.class.getResource(".").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
