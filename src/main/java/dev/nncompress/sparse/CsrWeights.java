package dev.nncompress.sparse;

import java.util.Arrays;

/**
 * Unstructured sparse conv weights, compressed per output filter (CSR): row {@code o} holds entries
 * {@code rowPtr[o] .. rowPtr[o+1]-1}, each a tap {@code c*kh*kw + ky*kw + kx} (strictly ascending
 * within the row) and its value. Weight gradients come back in the same order, one per entry.
 * {@link #transpose()} regroups the same entries per input channel for the input gradient.
 */
public record CsrWeights(int outChannels, int inChannels, int kh, int kw, int[] rowPtr, int[] tap, float[] value) {
    public CsrWeights {
        if (outChannels < 1 || inChannels < 1 || kh < 1 || kw < 1) {
            throw new IllegalArgumentException("CSR weights need sizes >= 1, got [" + outChannels + ", " + inChannels + ", " + kh + ", " + kw + "]");
        }
        if (rowPtr == null || tap == null || value == null) throw new IllegalArgumentException("CSR rowPtr, tap and value must not be null");
        if (rowPtr.length != outChannels + 1) {
            throw new IllegalArgumentException("CSR rowPtr has " + rowPtr.length + " entries, expected outChannels + 1 = " + (outChannels + 1));
        }
        if (tap.length != value.length) throw new IllegalArgumentException("CSR has " + tap.length + " taps but " + value.length + " values");
        if (rowPtr[0] != 0 || rowPtr[outChannels] != tap.length) {
            throw new IllegalArgumentException("CSR rowPtr must start at 0 and end at nnz = " + tap.length + ", got " + rowPtr[0] + " .. " + rowPtr[outChannels]);
        }
        long taps = (long) inChannels * kh * kw;
        for (int o = 0; o < outChannels; o++) {  // monotone from 0 to nnz: every row range lies inside the arrays
            if (rowPtr[o + 1] < rowPtr[o]) throw new IllegalArgumentException("CSR rowPtr decreases at row " + o + ": " + rowPtr[o] + " > " + rowPtr[o + 1]);
        }
        for (int o = 0; o < outChannels; o++) {
            for (int e = rowPtr[o]; e < rowPtr[o + 1]; e++) {
                if (tap[e] < 0 || tap[e] >= taps) throw new IllegalArgumentException("CSR tap[" + e + "] = " + tap[e] + " is outside [0, " + taps + ")");
                if (e > rowPtr[o] && tap[e] <= tap[e - 1]) {
                    throw new IllegalArgumentException("CSR taps of row " + o + " must be strictly ascending, got " + tap[e - 1] + " then " + tap[e]);
                }
            }
        }
        rowPtr = rowPtr.clone();
        tap = tap.clone();
        value = value.clone();
    }

    /** The entries of a dense OIHW weight where {@code mask} is 1 (mask values must be 0 or 1). */
    public static CsrWeights fromDense(float[] weights, byte[] mask, int outChannels, int inChannels, int kh, int kw) {
        long size = (long) outChannels * inChannels * kh * kw;
        if (weights == null || mask == null) throw new IllegalArgumentException("weights and mask must not be null");
        if (weights.length != size || mask.length != size) {
            throw new IllegalArgumentException("weights (" + weights.length + ") and mask (" + mask.length + ") must both have "
                    + size + " = " + outChannels + "x" + inChannels + "x" + kh + "x" + kw + " entries");
        }
        int nnz = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] != 0 && mask[i] != 1) throw new IllegalArgumentException("mask[" + i + "] = " + mask[i] + ", expected 0 or 1");
            nnz += mask[i];
        }
        int[] rowPtr = new int[outChannels + 1];
        int[] tap = new int[nnz];
        float[] value = new float[nnz];
        int row = inChannels * kh * kw;
        for (int o = 0, e = 0; o < outChannels; o++) {
            for (int t = 0; t < row; t++) {
                if (mask[o * row + t] == 1) {
                    tap[e] = t;
                    value[e++] = weights[o * row + t];
                }
            }
            rowPtr[o + 1] = e;
        }
        return new CsrWeights(outChannels, inChannels, kh, kw, rowPtr, tap, value);
    }

    public int nnz() { return tap.length; }

    /** The dense OIHW weight with zeros off the entries. */
    public float[] toDense() {
        int row = inChannels * kh * kw;
        float[] w = new float[outChannels * row];
        for (int o = 0; o < outChannels; o++) {
            for (int e = rowPtr[o]; e < rowPtr[o + 1]; e++) w[o * row + tap[e]] = value[e];
        }
        return w;
    }

    /**
     * The same entries grouped per input channel: a CsrWeights with {@code outChannels} and
     * {@code inChannels} swapped and taps {@code o*kh*kw + ky*kw + kx} (kernel not flipped), what
     * the input-gradient kernel reads.
     */
    public CsrWeights transpose() {
        int kk = kh * kw;
        int[] count = new int[inChannels + 1];
        for (int t : tap) count[t / kk + 1]++;
        for (int c = 0; c < inChannels; c++) count[c + 1] += count[c];
        int[] colPtr = count.clone();
        int[] next = Arrays.copyOf(count, inChannels);
        int[] tapT = new int[tap.length];
        float[] valueT = new float[tap.length];
        for (int o = 0; o < outChannels; o++) {  // rows in ascending o keep each column's taps ascending
            for (int e = rowPtr[o]; e < rowPtr[o + 1]; e++) {
                int c = tap[e] / kk;
                int slot = next[c]++;
                tapT[slot] = o * kk + tap[e] % kk;
                valueT[slot] = value[e];
            }
        }
        return new CsrWeights(inChannels, outChannels, kh, kw, colPtr, tapT, valueT);
    }

    @Override public int[] rowPtr() { return rowPtr.clone(); }

    @Override public int[] tap() { return tap.clone(); }

    @Override public float[] value() { return value.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof CsrWeights w && w.outChannels == outChannels && w.inChannels == inChannels && w.kh == kh && w.kw == kw
                && Arrays.equals(w.rowPtr, rowPtr) && Arrays.equals(w.tap, tap) && Arrays.equals(w.value, value);
    }

    @Override public int hashCode() { return Arrays.hashCode(rowPtr) * 31 + Arrays.hashCode(tap) * 17 + Arrays.hashCode(value); }

    @Override public String toString() {
        return "CsrWeights[" + outChannels + "x" + inChannels + "x" + kh + "x" + kw + ", nnz=" + tap.length + "]";
    }
}
