package dev.nncompress.io;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.util.ThreadAllocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sparse model files cannot claim more decoded memory than their size allows (decompression bombs). */
class DecodeLimitsTest {
    @TempDir Path dir;

    /** A ~200-byte file whose sparse index claims one tensor of {@code shape}, with parts of a few bytes. */
    private Path bomb(String name, String entry, TensorRecord first, String firstSuffix, TensorRecord second, String secondSuffix) throws Exception {
        Map<String, TensorRecord> t = new LinkedHashMap<>();
        t.put("w" + firstSuffix, first);
        t.put("w" + secondSuffix, second);
        Path f = dir.resolve(name);
        SafeTensors.write(f, t, Map.of(SparseStorage.METADATA_KEY, "{\"w\":" + entry + "}"));
        return f;
    }

    private static void assertRejectedBeforeAllocating(Path f, String... parts) {
        SafeTensorsFile st = assertDoesNotThrow(() -> SafeTensors.read(f));
        ModelFormatException[] e = new ModelFormatException[1];
        long allocated = ThreadAllocation.during(() -> e[0] = assertThrows(ModelFormatException.class, () -> SparseStorage.decodeAll(st)));
        assertTrue(allocated < (4 << 20), "refused after allocating " + allocated + " bytes");
        for (String p : parts) assertTrue(e[0].getMessage().contains(p), () -> "'" + e[0].getMessage() + "' lacks '" + p + "'");
    }

    @Test
    void aTinyBitmaskFileClaimingTwoToThe28ElementsIsRefusedBeforeAllocation() throws Exception {
        Path f = bomb("bitmask.safetensors", "{\"format\":\"bitmask\",\"shape\":[16384,16384]}",
                TensorRecord.ofUnsignedBytes(new byte[4], 4), SparseStorage.BITMASK_SUFFIX, TensorRecord.ofFloats(new float[0]), SparseStorage.VALUES_SUFFIX);
        long size = Files.size(f);
        assertTrue(size < 300, "a ~200-byte file: " + size);
        assertRejectedBeforeAllocating(f, f.toString(), "would decode to 1073741824 bytes", "more than 32 x the file's " + size + " bytes");
    }

    @Test
    void aTinyNmFileIsRefusedToo() throws Exception {
        Path f = bomb("nm.safetensors", "{\"format\":\"nm\",\"n\":1,\"m\":8,\"shape\":[16384,16384]}",
                TensorRecord.ofFloats(new float[1]), NmStorage.VALUES_SUFFIX, TensorRecord.ofUnsignedBytes(new byte[1], 1), NmStorage.INDICES_SUFFIX);
        assertRejectedBeforeAllocating(f, f.toString(), "would decode to 1073741824 bytes");
    }

    @Test
    void aShapeBeyondOneJavaArrayOrALongIsAnErrorNotACrash() throws Exception {
        Path big = bomb("big.safetensors", "{\"format\":\"bitmask\",\"shape\":[65536,65536]}",
                TensorRecord.ofUnsignedBytes(new byte[4], 4), SparseStorage.BITMASK_SUFFIX, TensorRecord.ofFloats(new float[0]), SparseStorage.VALUES_SUFFIX);
        var e = assertThrows(IllegalArgumentException.class, () -> SparseStorage.decodeAll(SafeTensors.read(big)));
        assertTrue(e.getMessage().contains("too large for one dense array"), e.getMessage());
        Path overflow = bomb("overflow.safetensors", "{\"format\":\"bitmask\",\"shape\":[4294967296,4294967296]}",
                TensorRecord.ofUnsignedBytes(new byte[4], 4), SparseStorage.BITMASK_SUFFIX, TensorRecord.ofFloats(new float[0]), SparseStorage.VALUES_SUFFIX);
        var o = assertThrows(IllegalArgumentException.class, () -> SparseStorage.decodeAll(SafeTensors.read(overflow)));
        assertTrue(o.getMessage().contains("is too large"), o.getMessage());
        Path huge = bomb("huge.safetensors", "{\"format\":\"bitmask\",\"shape\":[18446744073709551616]}",
                TensorRecord.ofUnsignedBytes(new byte[4], 4), SparseStorage.BITMASK_SUFFIX, TensorRecord.ofFloats(new float[0]), SparseStorage.VALUES_SUFFIX);
        var h = assertThrows(IllegalArgumentException.class, () -> SparseStorage.decodeAll(SafeTensors.read(huge)));
        assertTrue(h.getMessage().contains("bad shape"), h.getMessage());
    }

    @Test
    void aRealModelWithAnInflatedShapeIsRefusedByModelIONamingTheFile() throws Exception {
        ReferenceBackend ref = new ReferenceBackend();
        Graph g = Models.student(ref, 1);
        for (Parameter p : g.params().values()) { // zero every weight: all stored as bitmasks
            if (!p.name().endsWith(".weight")) continue;
            try (Tensor z = ref.fromFloats(new float[p.value().shape().numel()], p.value().shape())) {
                ref.copyInto(z, p.value());
            }
        }
        Path f = dir.resolve("student.safetensors");
        ModelIO.save(g, f, Map.of());
        SafeTensorsFile st = SafeTensors.read(f);
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        String index = meta.get(SparseStorage.METADATA_KEY);
        assertTrue(index.contains("\"fc1.weight\":{\"format\":\"bitmask\",\"shape\":[64,784]}"), index);
        meta.put(SparseStorage.METADATA_KEY, index.replace("[64,784]", "[65536,4096]"));
        Path bad = dir.resolve("inflated.safetensors");
        SafeTensors.write(bad, st.tensors(), meta);
        var e = assertThrows(ModelFormatException.class, () -> ModelIO.load(bad, ref));
        assertTrue(e.getMessage().startsWith(bad + ": its tensors would decode to "), e.getMessage());
        assertDoesNotThrow(() -> ModelIO.load(f, ref), "the honest file loads");
    }

    @Test
    void boundsAreThirtyTwoTimesTheFileAndOneGibibyteOfGrowth() {
        Path f = Path.of("m.safetensors");
        assertDoesNotThrow(() -> DecodeLimits.check(f, 1000, 32_000));
        var ratio = assertThrows(ModelFormatException.class, () -> DecodeLimits.check(f, 1000, 32_001));
        assertTrue(ratio.getMessage().contains("more than 32 x the file's 1000 bytes"), ratio.getMessage());
        long mib = 1 << 20;
        assertDoesNotThrow(() -> DecodeLimits.check(f, 100 * mib, 1024 * mib + 100 * mib)); // exactly 1 GiB of growth
        var growth = assertThrows(ModelFormatException.class, () -> DecodeLimits.check(f, 64 * mib, 2048 * mib)); // 32x, but 1.94 GiB of growth
        assertTrue(growth.getMessage().contains("more than 1073741824 (1 GiB) beyond the file's 67108864 bytes"), growth.getMessage());
    }
}
