package dev.nncompress.io;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodedStorageTest {
    private final Backend backend = new ReferenceBackend();
    @TempDir Path dir;

    /**
     * The student as after pruning and weight sharing: conv weights 16 values and dense (conv1: no zeros, one value
     * -0.0), fc weights 90% zero with 32 values, skewed so that Huffman has something to gain.
     */
    private Graph sharedStudent() {
        Graph g = Models.student(backend, 1);
        SplittableRandom r = new SplittableRandom(3);
        for (Parameter p : g.params().values()) {
            if (!p.name().endsWith(".weight")) continue;
            boolean fc = p.name().startsWith("fc");
            float[] v = p.value().toFloatArray();
            for (int i = 0; i < v.length; i++) {
                int level = (int) Math.min(fc ? 31 : 15, Math.abs(r.nextGaussian() * 4));
                v[i] = fc && r.nextDouble() < 0.9 ? 0f : (level - 8) * 0.01f + 0.001f;
            }
            if (p.name().equals("conv1.weight")) v[3] = -0f;
            try (Tensor t = backend.fromFloats(v, p.value().shape())) {
                backend.copyInto(t, p.value());
            }
        }
        return g;
    }

    private Path saved(Graph g) {
        Path f = dir.resolve("c.safetensors");
        ModelIO.save(g, f, Map.of("task", "share"), ModelIO.Storage.CODED);
        return f;
    }

    @Test
    void sharedWeightsRoundTripBitForBitAndBeatTheSparseFile() throws Exception {
        Graph g = sharedStudent();
        Path f = saved(g);
        assertEquals(java.util.Set.of(Int8ModelIO.FORMAT_KEY), SafeTensors.read(f).metadata().keySet(), "the raw header: the format only");
        assertEquals(java.util.Set.of(CodedContainer.BODY), SafeTensors.read(f).tensors().keySet(), "the raw file: one body tensor");
        SafeTensorsFile st = ModelIO.readFile(f);
        assertEquals(CodedStorage.FORMAT, st.metadata().get(Int8ModelIO.FORMAT_KEY));
        for (String w : new String[] {"conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"}) {
            assertTrue(st.tensors().containsKey(w + ".coded") && !st.tensors().containsKey(w), w + " is coded");
        }
        assertTrue(st.tensors().containsKey("fc1.bias"), "biases stay dense");
        Map<String, CodedStorage.Sizes> sizes = new LinkedHashMap<>();
        for (CodedStorage.Sizes s : CodedStorage.sizes(st)) sizes.put(s.tensor(), s);
        assertEquals("dense", sizes.get("conv1.weight").positions(), "no zeros: no positions");
        assertEquals(0, sizes.get("conv1.weight").positionBytes());
        assertFalse(sizes.get("fc1.weight").positions().equals("dense"));
        assertEquals(st.tensors().get("fc1.weight.coded").byteSize(), sizes.get("fc1.weight").total());

        ModelIO.LoadedModel m = ModelIO.load(f, backend);
        assertEquals(g.params().keySet(), m.graph().params().keySet(), "same parameters, same order");
        for (Parameter p : g.params().values()) {
            float[] a = p.value().toFloatArray(), b = m.graph().param(p.name()).value().toFloatArray();
            for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), p.name() + "[" + i + "]");
        }
        assertEquals("share", m.provenance().get("task"));
        assertEquals(Files.size(f), ModelIO.fileSize(g, Map.of("task", "share"), ModelIO.Storage.CODED), "fileSize is what save writes");
        long sparse = ModelIO.fileSize(g, Map.of("task", "share"), ModelIO.Storage.SPARSE);
        // fc1: 10% of 50,176 kept, 32 values at ~4 bits + ~4-bit gaps: ~5 KB against the bitmask's 26 KB
        assertTrue(Files.size(f) * 3 < sparse, "coded " + Files.size(f) + " vs sparse " + sparse);
    }

    /** A model with more than 256 distinct values in every weight is written all dense, and still read back. */
    @Test
    void unsharedWeightsStayDense() throws Exception {
        Graph g = Models.student(backend, 2);
        Path f = saved(g);
        SafeTensorsFile st = ModelIO.readFile(f);
        assertEquals(g.params().keySet(), st.tensors().keySet());
        assertEquals(0, CodedStorage.sizes(st).size());
        assertEquals(g.params().keySet(), ModelIO.load(f, backend).graph().params().keySet());
    }

    /** Rewrites one tensor or the index of a saved coded file and expects a ModelFormatException naming the file and the problem. */
    private void assertDamaged(String tensor, TensorRecord replacement, String index, String expected) throws Exception {
        Path f = saved(sharedStudent());
        SafeTensorsFile st = ModelIO.readFile(f);
        Map<String, TensorRecord> t = new LinkedHashMap<>(st.tensors());
        if (tensor != null) t.put(tensor, replacement);
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        if (index != null) meta.put(CodedStorage.METADATA_KEY, index);
        Path bad = dir.resolve("bad.safetensors");
        writeCoded(bad, t, meta);
        var e = assertThrows(ModelFormatException.class, () -> ModelIO.load(bad, backend));
        assertTrue(e.getMessage().startsWith(bad.toString()) && e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    private static void writeCoded(Path file, Map<String, TensorRecord> tensors, Map<String, String> meta) throws Exception {
        CodedFiles.writeCoded3(file, new CodedFiles.View(tensors, meta));
    }

    private Path asCoded2(SafeTensorsFile st, String name) throws Exception {
        Path f = dir.resolve(name);
        CodedFiles.writeCoded2(f, new CodedFiles.View(st.tensors(), st.metadata()));
        return f;
    }

    @Test
    void damagedIndicesAndBlobsAreOneLineErrorsNamingTheTensor() throws Exception {
        SafeTensorsFile st = ModelIO.readFile(saved(sharedStudent()));
        byte[] blob = st.tensors().get("fc1.weight.coded").toBytes();
        String index = st.metadata().get(CodedStorage.METADATA_KEY);
        assertDamaged("fc1.weight.coded", TensorRecord.ofUnsignedBytes(java.util.Arrays.copyOf(blob, blob.length - 1), blob.length - 1), null,
                "coded tensor 'fc1.weight': has " + (blob.length - 1) + " bytes but its index entry needs " + blob.length);
        assertDamaged(null, null, index.replaceFirst("\"nnz\":(\\d+)", "\"nnz\":999999999"), "coded tensor 'conv1.weight': \"nnz\" must be an integer in [1, 72]");
        assertDamaged(null, null, index.replaceFirst("\"codebook\":\\d+", "\"codebook\":300"), "coded tensor 'conv1.weight': \"codebook\" must be an integer in [1, 72]");
        assertDamaged(null, null, index.replaceFirst("\"positions\":\"gaps\"", "\"positions\":\"zigzag\""), "\"positions\" must be dense, gaps or runs");
        assertDamaged(null, null, index.replaceFirst("\"shape\":\\[64,784\\]", "\"shape\":[1000000,1000000]"), "too large");
        assertDamaged(null, null, "[1]", "nncompress.coded metadata must be a JSON object");
        assertDamaged(null, null, index.replaceFirst("\"nnz\"", "\"extra\":1,\"nnz\""), "unknown key 'extra'");
        // the index table's lengths (after the codebook) all 1: over-subscribed
        int k = CodedStorage.sizes(st).stream().filter(s -> s.tensor().equals("fc1.weight")).findFirst().orElseThrow().codebook();
        byte[] over = blob.clone();
        for (int i = 0; i < k; i++) over[4 * k + i] = 1;
        assertDamaged("fc1.weight.coded", TensorRecord.ofUnsignedBytes(over, over.length), null, "fc1.weight' index table: the code lengths are over-subscribed");
        byte[] nan = blob.clone();
        nan[0] = nan[1] = nan[2] = (byte) 0xff;
        nan[3] = 0x7f;
        assertDamaged("fc1.weight.coded", TensorRecord.ofUnsignedBytes(nan, nan.length), null, "codebook entry 0 is NaN");
    }

    /**
     * Any bit of a coded tensor flipped: decoding succeeds (a value or position changed) or fails with a message
     * naming the tensor, never another exception (decoded in memory, as the loader does after reading the file).
     */
    @Test
    void everyBitFlipOfACodedTensorIsSafe() throws Exception {
        SafeTensorsFile st = ModelIO.readFile(saved(sharedStudent()));
        byte[] blob = st.tensors().get("conv2.weight.coded").toBytes();
        var index = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.json.JsonMapper().readTree(st.metadata().get(CodedStorage.METADATA_KEY));
        index.retain("conv2.weight"); // the one tensor, so that each trial decodes only it
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        meta.put(CodedStorage.METADATA_KEY, index.toString());
        int failures = 0;
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 120; trial++) {
            byte[] b = blob.clone();
            b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
            Map<String, TensorRecord> t = Map.of("conv2.weight.coded", TensorRecord.ofUnsignedBytes(b, b.length));
            try {
                CodedStorage.decodeAll(new SafeTensorsFile(st.path(), st.fileBytes(), t, meta));
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().contains("conv2.weight"), e.getMessage());
                failures++;
            }
        }
        assertTrue(failures > 40, "most flips break a code, a table or the stream's length: " + failures);
    }

    /** A {@code coded/1} file (the metadata as plain entries, as the first coded files were written) loads as before. */
    @Test
    void theFirstCodedFormatStillLoads() throws Exception {
        Graph g = sharedStudent();
        SafeTensorsFile st = ModelIO.readFile(saved(g));
        Map<String, String> plain = new LinkedHashMap<>(st.metadata());
        plain.put(Int8ModelIO.FORMAT_KEY, CodedStorage.FORMAT_V1);
        Path v1 = dir.resolve("v1.safetensors");
        SafeTensors.write(v1, st.tensors(), plain);
        assertEquals(CodedStorage.FORMAT_V1, SafeTensors.read(v1).metadata().get(Int8ModelIO.FORMAT_KEY));
        assertTrue(SafeTensors.read(v1).metadata().containsKey(ModelIO.GRAPH_KEY), "coded/1: the graph in the raw header");
        Graph back = ModelIO.load(v1, backend).graph();
        for (Parameter p : g.params().values()) {
            assertEquals(java.util.Arrays.toString(p.value().toFloatArray()), java.util.Arrays.toString(back.param(p.name()).value().toFloatArray()), p.name());
        }
        Path v2 = asCoded2(st, "v2.safetensors");
        Graph back2 = ModelIO.load(v2, backend).graph();
        for (Parameter p : g.params().values()) {
            assertEquals(java.util.Arrays.toString(p.value().toFloatArray()), java.util.Arrays.toString(back2.param(p.name()).value().toFloatArray()), p.name());
        }
        assertTrue(Files.size(v2) + 1000 < Files.size(v1), "the packed metadata is smaller: " + Files.size(v2) + " vs " + Files.size(v1));
        // the student's 12 tensor entries and the packed metadata's base64 go into one deflated header
        assertTrue(Files.size(saved(g)) + 500 < Files.size(v2), "the deflated body header is smaller still: " + Files.size(saved(g)) + " vs " + Files.size(v2));
    }

    /** The packed metadata of a coded/2 file, damaged: one line naming the file, never another exception. */
    @Test
    void damagedPackedMetadataIsAOneLineError() throws Exception {
        Path f = asCoded2(ModelIO.readFile(saved(sharedStudent())), "v2.safetensors");
        SafeTensorsFile raw = SafeTensors.read(f);
        String packed = raw.metadata().get(PackedMetadata.KEY);
        byte[] z = java.util.Base64.getDecoder().decode(packed);
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("not base64 at all!", "is not base64");
        cases.put(java.util.Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(z, z.length - 9)), "ends early");
        byte[] flipped = z.clone();
        flipped[z.length / 2] ^= 0x10;
        cases.put(java.util.Base64.getEncoder().encodeToString(flipped), "nncompress.packed");
        byte[] trailing = java.util.Arrays.copyOf(z, z.length + 3);
        cases.put(java.util.Base64.getEncoder().encodeToString(trailing), "bytes after its deflate stream");
        cases.put(PackedMetadata.pack(Map.of("a", "b", PackedMetadata.KEY, "x"), CodedStorage.FORMAT_V2).get(PackedMetadata.KEY), "holds nncompress.packed or the format again");
        for (var c : cases.entrySet()) {
            Map<String, String> meta = new LinkedHashMap<>(raw.metadata());
            meta.put(PackedMetadata.KEY, c.getKey());
            Path bad = dir.resolve("packed.safetensors");
            SafeTensors.write(bad, raw.tensors(), meta);
            var e = assertThrows(ModelFormatException.class, () -> ModelIO.load(bad, backend));
            assertTrue(e.getMessage().startsWith(bad.toString()) && e.getMessage().contains(c.getValue()) && !e.getMessage().contains("\n"), e.getMessage());
        }
        Map<String, String> extra = new LinkedHashMap<>(raw.metadata());
        extra.put(ModelIO.GRAPH_KEY, "{}");
        Path bad = dir.resolve("extra.safetensors");
        SafeTensors.write(bad, raw.tensors(), extra);
        var e = assertThrows(ModelFormatException.class, () -> ModelIO.load(bad, backend));
        assertTrue(e.getMessage().contains("outside nncompress.packed"), e.getMessage());
        // a deflate bomb: 9 MB of spaces inflate past the header's 8 MiB limit
        String bomb = PackedMetadata.pack(Map.of("a", " ".repeat(9 << 20)), CodedStorage.FORMAT_V2).get(PackedMetadata.KEY);
        Map<String, String> meta = new LinkedHashMap<>(raw.metadata());
        meta.put(PackedMetadata.KEY, bomb);
        SafeTensors.write(bad, raw.tensors(), meta);
        var b = assertThrows(ModelFormatException.class, () -> ModelIO.load(bad, backend));
        assertTrue(b.getMessage().contains("inflates to more than"), b.getMessage());
    }
}
