package dev.nncompress.io;

import java.util.Arrays;

/**
 * Where the kept (nonzero) elements of a pruned tensor are, as a stream of small symbols for Huffman coding
 * ({@link CodedStorage}). Two codings, each over an alphabet of G = 2^g symbols where the largest, G-1, is an
 * escape meaning "G-1 more, and go on":
 * <ul>
 *   <li>{@link Mode#GAPS}: for each kept element the number of zeros since the previous one (Han et al.'s relative
 *       indices with a bounded gap; their filler entry, a zero weight stored at the bound, is here the escape,
 *       which costs its code and no cluster index); zeros after the last kept element are implied by the shape;</li>
 *   <li>{@link Mode#RUNS}: run lengths of the bitmask, alternately zeros and kept elements, starting with zeros;
 *       cheaper where kept elements come in runs (lightly pruned layers).</li>
 * </ul>
 * A tensor with no zeros stores no positions ({@link Mode#DENSE}).
 */
final class PositionCoding {
    enum Mode { DENSE, GAPS, RUNS }

    static final int MIN_GAP_BITS = 1;
    static final int MAX_GAP_BITS = 8;

    private PositionCoding() {}

    /** The symbols of {@code kept} in {@code mode} with alphabet 2^{@code g} (not DENSE). */
    static int[] symbols(boolean[] kept, Mode mode, int g) {
        int escape = (1 << g) - 1;
        IntList out = new IntList();
        if (mode == Mode.GAPS) {
            int zeros = 0;
            for (boolean k : kept) {
                if (!k) {
                    zeros++;
                    continue;
                }
                emit(out, zeros, escape);
                zeros = 0;
            }
        } else {
            boolean current = false;
            int run = 0;
            for (boolean k : kept) {
                if (k == current) {
                    run++;
                    continue;
                }
                emit(out, run, escape);
                current = k;
                run = 1;
            }
            if (run > 0) emit(out, run, escape);
        }
        return out.toArray();
    }

    private static void emit(IntList out, int length, int escape) {
        for (; length >= escape; length -= escape) out.add(escape);
        out.add(length);
    }

    /**
     * The positions (ascending) of the {@code nnz} kept elements of {@code n}, decoded from {@code in}; every symbol
     * is checked against the elements left, so a corrupt stream fails (naming {@code what}) instead of writing past
     * {@code n} or past {@code nnz} positions. No step is per element of the tensor: a 98%-pruned layer costs its
     * kept elements and its escapes.
     */
    static int[] decode(Huffman.Decoder table, BitStream.Reader in, Mode mode, int g, int n, int nnz, String what) {
        int escape = (1 << g) - 1;
        int[] positions = new int[nnz];
        long pos = 0;
        if (mode == Mode.GAPS) {
            for (int k = 0; k < nnz; k++) {
                pos += run(table, in, escape, what);
                if (pos >= n) throw new IllegalArgumentException(what + ": kept element " + (k + 1) + " of " + nnz + " lies past the tensor's " + n + " elements");
                positions[k] = (int) pos++;
            }
        } else {
            boolean current = false;
            int ones = 0;
            while (pos < n) {
                long r = run(table, in, escape, what);
                if (pos + r > n) throw new IllegalArgumentException(what + ": a run of " + r + " passes the tensor's " + n + " elements");
                if (current) {
                    if (r > nnz - ones) throw new IllegalArgumentException(what + ": the runs keep more than the " + nnz + " elements the index says");
                    for (int i = 0; i < r; i++) positions[ones++] = (int) pos + i;
                }
                pos += r;
                current = !current;
            }
            if (ones != nnz) throw new IllegalArgumentException(what + ": the runs keep " + ones + " elements, the index says " + nnz);
        }
        return positions;
    }

    /** One length: escapes, each G-1, then a final symbol below G-1. Bounded by the stream's bits (each code >= 1 bit). */
    private static long run(Huffman.Decoder table, BitStream.Reader in, int escape, String what) {
        long length = 0;
        int s;
        while ((s = table.decode(in, what)) == escape) {
            length += escape;
            if (length > Integer.MAX_VALUE) throw new IllegalArgumentException(what + ": a gap longer than any tensor");
        }
        return length + s;
    }

    /** A growable int array (symbol streams run to millions; boxing them would cost 4x). */
    static final class IntList {
        private int[] a = new int[256];
        private int size;

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        int[] toArray() { return Arrays.copyOf(a, size); }
    }
}
