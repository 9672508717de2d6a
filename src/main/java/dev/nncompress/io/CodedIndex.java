package dev.nncompress.io;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nncompress.util.Quoted;

import java.util.Locale;
import java.util.Set;

/**
 * One entry of a coded file's {@value CodedStorage#METADATA_KEY} index, read and range-checked: the only place
 * its numbers come from. Every count is bounded by what the shape allows (a code is 1 to 15 bits, a position
 * stream of n elements has at most 2n + 1 symbols), so the blob size computed from them fits a long and is then
 * compared exactly with the stored entry.
 */
final class CodedIndex {
    private static final Set<String> KEYS = Set.of("shape", "nnz", "codebook", "index_bits", "positions", "gap_bits", "position_bits");

    private CodedIndex() {}

    static CodedStorage.Entry entry(JsonNode e, String what) {
        if (e == null || !e.isObject()) throw new IllegalArgumentException(what + "expected a JSON object, got " + Quoted.of(e));
        for (var f : e.properties()) if (!KEYS.contains(f.getKey())) throw new IllegalArgumentException(what + "unknown key " + Quoted.of(f.getKey()));
        JsonNode shapeNode = e.path("shape");
        if (!shapeNode.isArray() || shapeNode.size() > SafeTensorsHeader.MAX_RANK) {
            throw new IllegalArgumentException(what + "\"shape\" must be an array of rank <= " + SafeTensorsHeader.MAX_RANK + ", got " + Quoted.of(shapeNode));
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) throw new IllegalArgumentException(what + "bad shape " + Quoted.of(shapeNode));
            shape[i] = d.asLong();
        }
        long n = SparseStorage.denseElements(what, shape);
        int nnz = (int) integer(e, "nnz", 1, n, what);
        int codebook = (int) integer(e, "codebook", 1, Math.min(nnz, CodedStorage.MAX_CODEBOOK), what);
        long indexBits = integer(e, "index_bits", nnz, (long) Huffman.MAX_LENGTH * nnz, what);
        String mode = e.path("positions").asText("");
        PositionCoding.Mode positions;
        try {
            positions = PositionCoding.Mode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(what + "\"positions\" must be dense, gaps or runs, got " + Quoted.of(e.path("positions")), ex);
        }
        if (!e.path("positions").isTextual()) throw new IllegalArgumentException(what + "\"positions\" must be a string");
        if (positions == PositionCoding.Mode.DENSE) {
            if (nnz != n) throw new IllegalArgumentException(what + "positions dense but nnz " + nnz + " of " + n + " elements");
            if (e.has("gap_bits") || e.has("position_bits")) throw new IllegalArgumentException(what + "dense positions take no gap_bits or position_bits");
            return new CodedStorage.Entry(shape, nnz, codebook, indexBits, positions, 0, 0);
        }
        int gapBits = (int) integer(e, "gap_bits", PositionCoding.MIN_GAP_BITS, PositionCoding.MAX_GAP_BITS, what);
        long positionBits = integer(e, "position_bits", 1, (long) Huffman.MAX_LENGTH * (2 * n + 1), what);
        return new CodedStorage.Entry(shape, nnz, codebook, indexBits, positions, gapBits, positionBits);
    }

    private static long integer(JsonNode e, String key, long lo, long hi, String what) {
        JsonNode v = e.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < lo || v.asLong() > hi) {
            throw new IllegalArgumentException(what + "\"" + key + "\" must be an integer in [" + lo + ", " + hi + "], got " + Quoted.of(v));
        }
        return v.asLong();
    }
}
