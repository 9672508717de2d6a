package dev.nncompress.io;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.NmPattern;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The N:M layout ({@link NmStorage}) inside model files. */
class NmStorageTest {
    private final Backend backend = new ReferenceBackend();
    @TempDir Path dir;

    /** Zeroes v so that each group of m along rows of {@code row} has at most min(n, len) nonzeros, at random positions. */
    private static void makeNm(float[] v, int row, NmPattern p, SplittableRandom r) {
        for (int start = 0; start < v.length; start += row) {
            for (int g = 0; g < p.groups(row); g++) {
                int len = p.groupLength(row, g), base = start + g * p.m(), nnz = 0;
                for (int i = 0; i < len; i++) if (Float.floatToRawIntBits(v[base + i]) != 0) nnz++;
                while (nnz > p.keptIn(len)) {
                    int i = base + r.nextInt(len);
                    if (Float.floatToRawIntBits(v[i]) != 0) { v[i] = 0f; nnz--; }
                }
            }
        }
    }

    /** The student with every weight made 2:4 (conv1's rows of 9 end in a kept tail of 1); a -0.0 among fc1's values. */
    private Graph student24() {
        Graph g = Models.student(backend, 1);
        SplittableRandom r = new SplittableRandom(11);
        for (Parameter p : g.params().values()) {
            if (!p.name().endsWith(".weight")) continue;
            float[] v = p.value().toFloatArray();
            makeNm(v, NmPattern.rowLength(p.value().shape().dimsLong()), new NmPattern(2, 4), r);
            if (p.name().equals("fc1.weight")) {
                for (int i = 0; i < v.length; i++) if (v[i] != 0) { v[i] = -0f; break; }
            }
            try (Tensor t = backend.fromFloats(v, p.value().shape())) {
                backend.copyInto(t, p.value());
            }
        }
        return g;
    }

    @Test
    void twoFourWeightsUseTheNmLayoutAndComeBackBitForBit() throws Exception {
        Graph g = student24();
        Path f = dir.resolve("nm.safetensors");
        ModelIO.save(g, f, Map.of());
        SafeTensorsFile st = SafeTensors.read(f);
        String index = st.metadata().get(SparseStorage.METADATA_KEY);
        assertTrue(index.contains("\"fc1.weight\":{\"format\":\"nm\",\"n\":2,\"m\":4,\"shape\":[64,784]}"), index);
        assertEquals(64 * 392, st.tensors().get("fc1.weight.nm_values").numElements());
        assertEquals(64 * 392 * 2 / 8, st.tensors().get("fc1.weight.nm_indices").numElements());
        assertFalse(st.tensors().containsKey("conv1.weight.nm_values"), "72 weights: too small to save the header cost");
        ModelIO.LoadedModel m = ModelIO.load(f, backend);
        for (Parameter p : g.params().values()) {
            float[] a = p.value().toFloatArray(), b = m.graph().param(p.name()).value().toFloatArray();
            for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), p.name() + "[" + i + "]");
        }
        assertEquals(Files.size(f), ModelIO.fileSize(g, Map.of(), true));
        assertTrue(ModelIO.fileSize(g, Map.of(), false) > 1.8 * Files.size(f));
    }

    @Test
    void roundTripForEveryPatternWithTailsAndGroupsShortOfNonzeros() {
        SplittableRandom r = new SplittableRandom(3);
        for (int m = 2; m <= 8; m++) {
            for (int n = 1; n < m; n++) {
                NmPattern p = new NmPattern(n, m);
                for (int row : new int[] {1, 5, 7, 16, 19}) {
                    float[] v = new float[row * 6];
                    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
                    makeNm(v, row, p, r);
                    v[r.nextInt(v.length)] = 0f; // some groups with fewer nonzeros than slots
                    NmStorage.Parts parts = NmStorage.encode(v, row, p);
                    assertEquals(NmStorage.dataBytes(p, 6, row), 4 * parts.values().numElements() + parts.indices().numElements());
                    TensorRecord back = NmStorage.decode("w", new long[] {6, row}, p, parts.values(), parts.indices());
                    float[] d = back.toFloats();
                    for (int i = 0; i < v.length; i++) assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(d[i]), p + " row " + row + " [" + i + "]");
                }
            }
        }
    }

    @Test
    void indicesArePackedLeastSignificantBitFirst() {
        // one row of 8 in 2:4: group 0 keeps positions 1, 3; group 1 keeps 0, 2 -> codes 1, 3, 0, 2 of 2 bits
        float[] v = {0, 5, 0, 6, 7, 0, 8, 0};
        NmStorage.Parts p = NmStorage.encode(v, 8, new NmPattern(2, 4));
        assertArrayEquals(new float[] {5, 6, 7, 8}, p.values().toFloats());
        assertArrayEquals(new byte[] {(byte) 0b10_00_11_01}, p.indices().toBytes());
        // 3-bit codes of 2:8, positions 5 and 6: 101 then 110 -> stream bits 1,0,1,0,1,1
        NmStorage.Parts q = NmStorage.encode(new float[] {0, 0, 0, 0, 0, 1, 2, 0}, 8, new NmPattern(2, 8));
        assertArrayEquals(new byte[] {0b00_110_101}, q.indices().toBytes());
    }

    @Test
    void theSmallestLayoutIsChosen() {
        float[] v = new float[4096];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < v.length; i++) v[i] = 1 + r.nextInt(9);
        assertNull(NmStorage.smallest(v, new long[] {64, 64}), "dense fits no pattern");
        assertNull(NmStorage.smallest(v, new long[] {4096}), "rank 1: no rows");
        makeNm(v, 64, new NmPattern(2, 4), r);
        assertEquals(new NmPattern(2, 4), NmStorage.smallest(v, new long[] {64, 64}));
        makeNm(v, 64, new NmPattern(1, 4), r);
        assertEquals(new NmPattern(1, 4), NmStorage.smallest(v, new long[] {64, 64}));
        // 90% random zeros: the bitmask is smaller than any N:M layout that fits, so the file uses the bitmask
        float[] u = new float[64 * 64];
        for (int i = 0; i < u.length; i++) u[i] = r.nextDouble() < 0.9 ? 0f : 1f;
        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, TensorRecord> out = SparseStorage.encodeAll(Map.of("w", TensorRecord.ofFloats(u, 64, 64)), meta);
        assertTrue(out.containsKey("w.bitmask"), out.keySet().toString());
        // a 2:4 tensor: both layouts cost the same data bytes, N:M wins the tie
        meta.clear();
        out = SparseStorage.encodeAll(Map.of("w", TensorRecord.ofFloats(java.util.Arrays.copyOf(v, v.length), 64, 64)), meta);
        assertTrue(out.containsKey("w.nm_values") && out.containsKey("w.nm_indices"), out.keySet().toString());
    }

    /** Rewrites tensors / metadata of a saved 2:4 file and expects a ModelFormatException naming the file and the problem. */
    private void assertDamaged(Map<String, TensorRecord> replace, String index, String expected) throws Exception {
        Path f = dir.resolve("nm.safetensors");
        ModelIO.save(student24(), f, Map.of());
        SafeTensorsFile st = SafeTensors.read(f);
        Map<String, TensorRecord> t = new LinkedHashMap<>(st.tensors());
        replace.forEach((k, v) -> {
            if (v == null) t.remove(k);
            else t.put(k, v);
        });
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        if (index != null) meta.put(SparseStorage.METADATA_KEY, index);
        Path bad = dir.resolve("bad.safetensors");
        SafeTensors.write(bad, t, meta);
        var e = assertThrows(ModelFormatException.class, () -> ModelIO.load(bad, backend));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void damagedNmTensorsAreClearErrorsNamingTheTensor() throws Exception {
        Path f = dir.resolve("nm.safetensors");
        ModelIO.save(student24(), f, Map.of());
        SafeTensorsFile st = SafeTensors.read(f);
        float[] values = st.tensors().get("fc2.weight.nm_values").toFloats();
        byte[] codes = st.tensors().get("fc2.weight.nm_indices").toBytes();
        String what = "N:M tensor 'fc2.weight' (2:4, shape [10, 64]): ";

        assertDamaged(Map.of("fc2.weight.nm_values", TensorRecord.ofFloats(java.util.Arrays.copyOf(values, 319))), null,
                what + "keeps 320 values but 'fc2.weight.nm_values' holds 319");
        assertDamaged(Map.of("fc2.weight.nm_indices", TensorRecord.ofUnsignedBytes(java.util.Arrays.copyOf(codes, 79), 79)), null,
                what + "'fc2.weight.nm_indices' has 79 bytes but 320 indices of 2 bits need 80");
        byte[] swapped = codes.clone();
        swapped[0] = (byte) ((swapped[0] & 0xf0) | 0b01_10); // group 0: indices 2 then 1
        assertDamaged(Map.of("fc2.weight.nm_indices", TensorRecord.ofUnsignedBytes(swapped, swapped.length)), null,
                what + "indices of row 0, group 0 are not strictly increasing (2 then 1)");
        assertDamaged(Map.of("fc2.weight.nm_indices", TensorRecord.ofFloats(new float[20])), null,
                what + "'fc2.weight.nm_indices' must be a 1-D U8 tensor, got F32 [20]");
        assertDamaged(java.util.Collections.singletonMap("fc2.weight.nm_values", null), null,
                "'fc2.weight' is listed in nncompress.sparse but 'fc2.weight.nm_values' is missing");
        String index = st.metadata().get(SparseStorage.METADATA_KEY);
        assertDamaged(Map.of(), index.replace("\"fc2.weight\":{\"format\":\"nm\",\"n\":2,\"m\":4", "\"fc2.weight\":{\"format\":\"nm\",\"n\":5,\"m\":4"),
                "sparse tensor 'fc2.weight': N:M sparsity needs 1 <= N < M <= 8, got 5:4");
        // the same bytes read as 2:3 keep fewer values per row: a count error, never a silent misread
        assertDamaged(Map.of(), index.replace("\"fc2.weight\":{\"format\":\"nm\",\"n\":2,\"m\":4", "\"fc2.weight\":{\"format\":\"nm\",\"n\":1,\"m\":4"),
                "N:M tensor 'fc2.weight' (1:4, shape [10, 64]): keeps 160 values but 'fc2.weight.nm_values' holds 320");
    }

    @Test
    void anIndexOutOfItsGroupIsRejected() {
        // 1:4 over rows of 6: group 0 (4 long), tail group of 2; tail index 3 is outside the tail
        TensorRecord values = TensorRecord.ofFloats(new float[] {1, 2});
        TensorRecord codes = TensorRecord.ofUnsignedBytes(new byte[] {0b11_00}, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> NmStorage.decode("w", new long[] {1, 6}, new NmPattern(1, 4), values, codes));
        assertEquals("N:M tensor 'w' (1:4, shape [1, 6]): index 3 out of range for the group of 2 at row 0, group 1", e.getMessage());
        var pad = assertThrows(IllegalArgumentException.class, () -> NmStorage.decode("w", new long[] {1, 6}, new NmPattern(1, 4), values,
                TensorRecord.ofUnsignedBytes(new byte[] {(byte) 0b1000_0100}, 1)));
        assertTrue(pad.getMessage().contains("'w.nm_indices' has bits set past its last index"), pad.getMessage());
    }
}
