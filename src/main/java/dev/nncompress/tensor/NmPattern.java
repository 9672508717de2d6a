package dev.nncompress.tensor;

import java.util.Arrays;

/**
 * N:M semi-structured sparsity: in every group of M consecutive elements of a row at most N are nonzero. A row
 * is everything after the first dimension (linear weight [out, in]: one input row per output; conv weight
 * [O, C, kH, kW]: the flattened C*kH*kW of each filter), so groups run along the reduction dimension, as N:M
 * kernels (Ampere sparse tensor cores, cuSPARSELt) read them.
 *
 * <p>A row whose length L is not a multiple of M ends in a short tail group of L % M elements, which keeps
 * min(N, tail) of them: the tail behaves like a full group zero-padded to M, which is how N:M kernels handle
 * such a row, so a mask is valid N:M after padding. (The proportional alternative, ceil(N*tail/M), would prune
 * more but the padded group would then break no rule the hardware has; we prefer never to prune a weight the
 * pattern does not require.) Here M <= 8, so an index within a group fits 3 bits.
 */
public record NmPattern(int n, int m) {
    public static final int MAX_M = 8;

    public NmPattern {
        if (m < 2 || m > MAX_M || n < 1 || n >= m) {
            throw new IllegalArgumentException("N:M sparsity needs 1 <= N < M <= " + MAX_M + ", got " + n + ":" + m);
        }
    }

    /** "2:4" -> 2:4; anything else is an IllegalArgumentException quoting the text. */
    public static NmPattern parse(String text) {
        String[] p = text == null ? new String[0] : text.trim().split(":", -1);
        if (p.length != 2) throw new IllegalArgumentException("N:M pattern must look like 2:4, got '" + text + "'");
        try {
            return new NmPattern(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("N:M pattern must look like 2:4, got '" + text + "'", e);
        }
    }

    /** Nominal fraction pruned, 1 - N/M (rows with a tail group are pruned a little less). */
    public double nominalSparsity() { return 1 - (double) n / m; }

    /** Elements of a group of {@code groupLength} (<= M) that are kept: min(N, length). */
    public int keptIn(int groupLength) { return Math.min(n, groupLength); }

    /** Groups in a row of {@code rowLength}: ceil(rowLength / M). */
    public int groups(int rowLength) { return (rowLength + m - 1) / m; }

    /** Length of group {@code g} of a row. */
    public int groupLength(int rowLength, int g) { return Math.min(m, rowLength - g * m); }

    /** Kept elements per row. */
    public int keptPerRow(int rowLength) {
        int full = rowLength / m, tail = rowLength % m;
        return full * n + (tail == 0 ? 0 : keptIn(tail));
    }

    /** Bits of one index within a group: ceil(log2 M) (M = 4: 2 bits, M = 8: 3). */
    public int indexBits() { return 32 - Integer.numberOfLeadingZeros(m - 1); }

    /** Row length of a tensor of {@code shape}: the product of all dimensions after the first (rank >= 2). */
    public static int rowLength(long[] shape) {
        if (shape.length < 2) throw new IllegalArgumentException("N:M needs a tensor of rank >= 2, got shape " + Arrays.toString(shape));
        long l = 1;
        for (int i = 1; i < shape.length; i++) l *= shape[i];
        if (l < 1 || l > Integer.MAX_VALUE) throw new IllegalArgumentException("N:M cannot group rows of shape " + Arrays.toString(shape));
        return (int) l;
    }

    /**
     * Whether every group of {@code v} (rows of {@code rowLength}) has at most its kept count of elements whose
     * bits are not those of +0.0 (so -0.0 counts as a value, as in the file formats).
     */
    public boolean holds(float[] v, int rowLength) {
        if (rowLength < 1 || v.length % rowLength != 0) throw new IllegalArgumentException(v.length + " elements are not rows of " + rowLength);
        for (int row = 0; row < v.length; row += rowLength) {
            for (int g = 0, gs = groups(rowLength); g < gs; g++) {
                int len = groupLength(rowLength, g), nnz = 0;
                for (int i = 0; i < len; i++) if (Float.floatToRawIntBits(v[row + g * m + i]) != 0) nnz++;
                if (nnz > keptIn(len)) return false;
            }
        }
        return true;
    }

    @Override public String toString() { return n + ":" + m; }
}
