package dev.nncompress.io;

import dev.nncompress.tensor.NmPattern;

import dev.nncompress.util.Quoted;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The compressed layout of an N:M tensor ({@link NmPattern}; groups of M along each row = everything after the
 * first dimension, a short tail group keeping min(N, tail)). A tensor {@code T} is stored as
 * {@code T.nm_values} (F32: per group, in row-major group order, exactly {@link NmPattern#keptIn} values, in
 * ascending position) and {@code T.nm_indices} (U8: each value's position within its group as a
 * {@link NmPattern#indexBits}-bit code (M = 4: 2 bits, M = 8: 3), the codes packed back to back into one bit
 * stream, bit b of the stream being bit {@code b % 8}, least significant first, of byte {@code b / 8}, each
 * code least significant bit first; padding bits 0). A group with fewer nonzeros than its slots fills them
 * with its lowest-positioned +0.0 elements, so the dense tensor comes back bit for bit (-0.0 is a value).
 * Listed in {@value SparseStorage#METADATA_KEY} as {@code {"format": "nm", "n": N, "m": M, "shape": [..]}}.
 *
 * <p>Cost: 4 bytes + indexBits/8 per slot. For 2:4 that is 2.125 bytes per weight, exactly what the bitmask
 * layout needs at 50% zeros (n/8 + 4 nnz); 1:4 and 2:8 are smaller than the bitmask, 4:8 larger.
 */
final class NmStorage {
    static final String FORMAT = "nm";
    static final String VALUES_SUFFIX = ".nm_values";
    static final String INDICES_SUFFIX = ".nm_indices";

    private NmStorage() {}

    record Parts(TensorRecord values, TensorRecord indices) {}

    /** Bytes of the two parts for a tensor of {@code rows} rows of {@code rowLength}. */
    static long dataBytes(NmPattern p, long rows, int rowLength) {
        long slots = rows * p.keptPerRow(rowLength);
        return 4 * slots + (slots * p.indexBits() + 7) / 8;
    }

    /**
     * The N:M pattern with the smallest layout that {@code v} satisfies (for each M = 2..8 the smallest N that fits
     * every group; ties: the smaller M), or null when the tensor has rank < 2 or fits none (a group with M nonzeros).
     */
    static NmPattern smallest(float[] v, long[] shape) {
        if (shape.length < 2 || v.length == 0) return null;
        int row = NmPattern.rowLength(shape);
        long rows = v.length / row;
        NmPattern best = null;
        long bestBytes = Long.MAX_VALUE;
        for (int m = 2; m <= NmPattern.MAX_M; m++) {
            int n = maxNonZerosPerGroup(v, row, m);
            if (n >= m) continue;
            NmPattern p = new NmPattern(Math.max(n, 1), m);
            long bytes = dataBytes(p, rows, row);
            if (bytes < bestBytes) {
                best = p;
                bestBytes = bytes;
            }
        }
        return best;
    }

    /** The largest count of nonzero-bit elements in one group of M along the rows (stops early at M). */
    private static int maxNonZerosPerGroup(float[] v, int row, int m) {
        int max = 0;
        for (int start = 0; start < v.length; start += row) {
            for (int g = 0; g < row; g += m) {
                int nnz = 0;
                for (int i = g, end = Math.min(row, g + m); i < end; i++) if (Float.floatToRawIntBits(v[start + i]) != 0) nnz++;
                if (nnz > max && (max = nnz) >= m) return max;
            }
        }
        return max;
    }

    /** Encodes {@code v}, which must satisfy {@code p} ({@link NmPattern#holds}). */
    static Parts encode(float[] v, int row, NmPattern p) {
        if (!p.holds(v, row)) throw new IllegalArgumentException("tensor is not " + p + " sparse");
        int slots = (int) ((long) (v.length / row) * p.keptPerRow(row));
        float[] values = new float[slots];
        byte[] codes = new byte[(int) (((long) slots * p.indexBits() + 7) / 8)];
        int k = 0;
        boolean[] take = new boolean[p.m()];
        for (int start = 0; start < v.length; start += row) {
            for (int g = 0, gs = p.groups(row); g < gs; g++) {
                int len = p.groupLength(row, g), base = start + g * p.m(), free = p.keptIn(len);
                Arrays.fill(take, false);
                for (int i = 0; i < len; i++) if (Float.floatToRawIntBits(v[base + i]) != 0) { take[i] = true; free--; }
                for (int i = 0; i < len && free > 0; i++) if (!take[i]) { take[i] = true; free--; } // pad with +0.0 slots
                for (int i = 0; i < len; i++) {
                    if (!take[i]) continue;
                    values[k] = v[base + i];
                    putCode(codes, k++, p.indexBits(), i);
                }
            }
        }
        return new Parts(TensorRecord.ofFloats(values, values.length), TensorRecord.ofUnsignedBytes(codes, codes.length));
    }

    private static void putCode(byte[] codes, int slot, int bits, int code) {
        long at = (long) slot * bits;
        for (int b = 0; b < bits; b++, at++) if ((code >>> b & 1) != 0) codes[(int) (at >>> 3)] |= (byte) (1 << (at & 7));
    }

    private static int code(byte[] codes, int slot, int bits) {
        long at = (long) slot * bits;
        int c = 0;
        for (int b = 0; b < bits; b++, at++) c |= ((codes[(int) (at >>> 3)] >>> (at & 7)) & 1) << b;
        return c;
    }

    /** The dense F32 tensor; every inconsistency is an IllegalArgumentException naming {@code name}. */
    static TensorRecord decode(String name, long[] shape, NmPattern p, TensorRecord values, TensorRecord indices) {
        String what = "N:M tensor " + Quoted.of(name) + " (" + p + ", shape " + Arrays.toString(shape) + "): ";
        long n = SparseStorage.denseElements(what, shape);
        int row;
        try {
            row = NmPattern.rowLength(shape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + e.getMessage(), e);
        }
        if (!"F32".equals(values.dtype()) || values.shape().length != 1) {
            throw new IllegalArgumentException(what + Quoted.of(name + VALUES_SUFFIX) + " must be a 1-D F32 tensor, got " + values.dtype() + " "
                    + Arrays.toString(values.shape()));
        }
        if (!"U8".equals(indices.dtype()) || indices.shape().length != 1) {
            throw new IllegalArgumentException(what + Quoted.of(name + INDICES_SUFFIX) + " must be a 1-D U8 tensor, got " + indices.dtype() + " "
                    + Arrays.toString(indices.shape()));
        }
        long slots = (n / row) * p.keptPerRow(row);
        if (values.numElements() != slots) {
            throw new IllegalArgumentException(what + "keeps " + slots + " values but " + Quoted.of(name + VALUES_SUFFIX) + " holds " + values.numElements());
        }
        long bitsUsed = slots * p.indexBits();
        if (indices.byteSize() != (bitsUsed + 7) / 8) {
            throw new IllegalArgumentException(what + Quoted.of(name + INDICES_SUFFIX) + " has " + indices.byteSize() + " bytes but " + slots
                    + " indices of " + p.indexBits() + " bits need " + (bitsUsed + 7) / 8);
        }
        byte[] codes = indices.toBytes();
        int padding = (int) (8L * codes.length - bitsUsed);
        if (padding > 0 && (codes[codes.length - 1] & 0xff) >>> (8 - padding) != 0) {
            throw new IllegalArgumentException(what + Quoted.of(name + INDICES_SUFFIX) + " has bits set past its last index");
        }
        FloatBuffer v = values.data().asFloatBuffer();
        ByteBuffer dense = ByteBuffer.allocate((int) (4 * n)).order(ByteOrder.LITTLE_ENDIAN); // zero-filled: +0.0
        int k = 0;
        for (int start = 0; start < n; start += row) {
            for (int g = 0, gs = p.groups(row); g < gs; g++) {
                int len = p.groupLength(row, g), previous = -1;
                for (int s = 0, kept = p.keptIn(len); s < kept; s++, k++) {
                    int i = code(codes, k, p.indexBits());
                    if (i >= len) {
                        throw new IllegalArgumentException(what + "index " + i + " out of range for the group of " + len
                                + " at row " + start / row + ", group " + g);
                    }
                    if (i <= previous) {
                        throw new IllegalArgumentException(what + "indices of row " + start / row + ", group " + g + " are not strictly increasing ("
                                + previous + " then " + i + ")");
                    }
                    previous = i;
                    dense.putFloat(4 * (start + g * p.m() + i), v.get(k));
                }
            }
        }
        return new TensorRecord("F32", shape, dense);
    }
}
