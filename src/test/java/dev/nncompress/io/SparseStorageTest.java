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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparseStorageTest {
    private final Backend backend = new ReferenceBackend();
    @TempDir Path dir;

    /** The student with 90% of every weight zeroed at random positions (-0.0 kept at some of them). */
    private Graph sparseStudent() {
        Graph g = Models.student(backend, 1);
        SplittableRandom r = new SplittableRandom(3);
        for (Parameter p : g.params().values()) {
            if (!p.name().endsWith(".weight")) continue;
            float[] v = p.value().toFloatArray();
            for (int i = 0; i < v.length; i++) if (r.nextDouble() < 0.9) v[i] = 0f;
            if (p.name().equals("fc1.weight")) v[7] = -0f;
            try (Tensor t = backend.fromFloats(v, p.value().shape())) {
                backend.copyInto(t, p.value());
            }
        }
        return g;
    }

    @Test
    void sparseWeightsRoundTripBitForBitAndShrinkTheFile() throws Exception {
        Graph g = sparseStudent();
        Path f = dir.resolve("s.safetensors");
        ModelIO.save(g, f, Map.of());
        SafeTensorsFile st = SafeTensors.read(f);
        assertTrue(st.tensors().containsKey("fc1.weight.bitmask") && st.tensors().containsKey("fc1.weight.values"));
        assertFalse(st.tensors().containsKey("fc1.weight"));
        assertTrue(st.tensors().containsKey("fc1.bias"), "dense biases stay dense");
        assertEquals("U8", st.tensors().get("fc1.weight.bitmask").dtype());
        assertEquals((64 * 784 + 7) / 8, st.tensors().get("fc1.weight.bitmask").numElements());

        ModelIO.LoadedModel m = ModelIO.load(f, backend);
        assertEquals(g.params().keySet(), m.graph().params().keySet(), "same parameters, same order");
        for (Parameter p : g.params().values()) {
            float[] a = p.value().toFloatArray(), b = m.graph().param(p.name()).value().toFloatArray();
            for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), p.name() + "[" + i + "]");
        }
        long dense = ModelIO.fileSize(g, Map.of(), false);
        assertEquals(Files.size(f), ModelIO.fileSize(g, Map.of(), true), "fileSize is what save writes");
        assertTrue(dense > 5 * Files.size(f), "90% zeros: " + dense + " dense vs " + Files.size(f));
    }

    @Test
    void denseModelsAreWrittenAsBeforeAndBitmaskOnlyWhenSmaller() throws Exception {
        Graph g = Models.student(backend, 1);
        Path f = dir.resolve("d.safetensors");
        ModelIO.save(g, f, Map.of());
        SafeTensorsFile st = SafeTensors.read(f);
        assertFalse(st.metadata().containsKey(SparseStorage.METADATA_KEY));
        assertEquals(g.params().keySet(), st.tensors().keySet());
        assertEquals(Files.size(f), ModelIO.fileSize(g, Map.of(), false));
        float[] half = new float[1000];
        for (int i = 0; i < 500; i++) half[i] = 1;
        assertTrue(SparseStorage.smallerAsBitmask(half)); // 125 + 2000 + 160 < 4000
        float[] few = new float[1000];
        java.util.Arrays.fill(few, 1f);
        for (int i = 0; i < 20; i++) few[i] = 0;
        assertFalse(SparseStorage.smallerAsBitmask(few)); // 125 + 3920 > 4000
    }

    @Test
    void bitsAreLittleEndianWithinEachByte() {
        SparseStorage.Parts p = SparseStorage.encode(new float[] {0, 2, 0, 0, 0, 0, 0, 0, 3, -0f});
        assertArrayEquals(new byte[] {0b0000_0010, 0b0000_0011}, p.bitmask().toBytes());
        assertArrayEquals(new float[] {2, 3, -0f}, p.values().toFloats());
    }

    /** Rewrites one tensor of a saved sparse file and expects a ModelFormatException naming the file and the problem. */
    private void assertDamaged(String tensor, TensorRecord replacement, String expected) throws Exception {
        Path f = dir.resolve("s.safetensors");
        ModelIO.save(sparseStudent(), f, Map.of());
        SafeTensorsFile st = SafeTensors.read(f);
        Map<String, TensorRecord> t = new LinkedHashMap<>(st.tensors());
        if (replacement == null) t.remove(tensor);
        else t.put(tensor, replacement);
        Path bad = dir.resolve("bad.safetensors");
        SafeTensors.write(bad, t, st.metadata());
        var e = assertThrows(ModelFormatException.class, () -> ModelIO.load(bad, backend));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void damagedSparseTensorsAreClearErrorsNamingTheTensor() throws Exception {
        Path f = dir.resolve("s.safetensors");
        ModelIO.save(sparseStudent(), f, Map.of());
        TensorRecord values = SafeTensors.read(f).tensors().get("fc1.weight.values");
        TensorRecord bits = SafeTensors.read(f).tensors().get("fc1.weight.bitmask");
        float[] v = values.toFloats();
        assertDamaged("fc1.weight.values", TensorRecord.ofFloats(java.util.Arrays.copyOf(v, v.length - 1)),
                "sparse tensor 'fc1.weight': bitmask marks " + v.length + " nonzero elements but 'fc1.weight.values' holds " + (v.length - 1));
        byte[] b = bits.toBytes();
        assertDamaged("fc1.weight.bitmask", TensorRecord.ofUnsignedBytes(java.util.Arrays.copyOf(b, b.length - 1), b.length - 1),
                "sparse tensor 'fc1.weight': bitmask has " + (b.length - 1) + " bytes but shape [64, 784] needs " + b.length);
        assertDamaged("fc1.weight.values", null, "'fc1.weight' is listed in nncompress.sparse but 'fc1.weight.values' is missing");
        assertDamaged("fc1.weight.bitmask", TensorRecord.ofFloats(new float[b.length]), "'fc1.weight.bitmask' must be a 1-D U8 tensor");
    }

    @Test
    void paddingBitsPastTheLastElementAreRejected() {
        // 10 elements = 2 bytes, 6 padding bits; the top bit of byte 1 is element 15
        var e = assertThrows(IllegalArgumentException.class, () -> SparseStorage.decode("w", new long[] {10},
                TensorRecord.ofUnsignedBytes(new byte[] {1, (byte) 0x80}, 2), TensorRecord.ofFloats(new float[] {1, 2})));
        assertTrue(e.getMessage().contains("sparse tensor 'w': bitmask has bits set past the last of its 10 elements"), e.getMessage());
    }
}
