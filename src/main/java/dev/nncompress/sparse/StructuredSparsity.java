package dev.nncompress.sparse;

import java.util.Arrays;

/**
 * Structured sparsity of one conv layer: the output filters and input channels that are kept, each
 * strictly ascending. Only kept (filter, channel) weight blocks are read; a pruned filter's output
 * is zero, without its bias (the filter is gone, as structured surgery removes it). Empty lists are
 * allowed (a fully pruned layer).
 */
public record StructuredSparsity(int outChannels, int inChannels, int[] keptOut, int[] keptIn) {
    public StructuredSparsity {
        if (outChannels < 1 || inChannels < 1) {
            throw new IllegalArgumentException("structured sparsity needs >= 1 output and input channels, got " + outChannels + " and " + inChannels);
        }
        keptOut = checkedList("keptOut", keptOut, outChannels);
        keptIn = checkedList("keptIn", keptIn, inChannels);
    }

    /** Everything kept: the dense layer, run through the sparse kernels. */
    public static StructuredSparsity dense(int outChannels, int inChannels) {
        return new StructuredSparsity(outChannels, inChannels, iota(outChannels), iota(inChannels));
    }

    public int[] prunedOut() { return complement(keptOut, outChannels); }

    public int[] prunedIn() { return complement(keptIn, inChannels); }

    public boolean keepsOut(int o) { return Arrays.binarySearch(keptOut, o) >= 0; }

    public boolean keepsIn(int c) { return Arrays.binarySearch(keptIn, c) >= 0; }

    @Override public int[] keptOut() { return keptOut.clone(); }

    @Override public int[] keptIn() { return keptIn.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof StructuredSparsity s && s.outChannels == outChannels && s.inChannels == inChannels
                && Arrays.equals(s.keptOut, keptOut) && Arrays.equals(s.keptIn, keptIn);
    }

    @Override public int hashCode() { return 31 * (31 * outChannels + inChannels) + 7 * Arrays.hashCode(keptOut) + Arrays.hashCode(keptIn); }

    @Override public String toString() {
        return "StructuredSparsity[" + keptOut.length + "/" + outChannels + " filters, " + keptIn.length + "/" + inChannels + " channels]";
    }

    private static int[] checkedList(String name, int[] list, int size) {
        if (list == null) throw new IllegalArgumentException(name + " is null");
        for (int i = 0; i < list.length; i++) {
            if (list[i] < 0 || list[i] >= size) throw new IllegalArgumentException(name + "[" + i + "] = " + list[i] + " is outside [0, " + size + ")");
            if (i > 0 && list[i] <= list[i - 1]) {
                throw new IllegalArgumentException(name + " must be strictly ascending, got " + list[i - 1] + " then " + list[i] + " at " + i);
            }
        }
        return list.clone();
    }

    private static int[] complement(int[] kept, int size) {
        int[] out = new int[size - kept.length];
        for (int i = 0, j = 0, k = 0; i < size; i++) {
            if (j < kept.length && kept[j] == i) j++;
            else out[k++] = i;
        }
        return out;
    }

    private static int[] iota(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }
}
