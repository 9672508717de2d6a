package dev.nncompress.io;

import java.util.PriorityQueue;

/**
 * Canonical Huffman codes over small alphabets (at most {@value #MAX_SYMBOLS} symbols), stored as one code length
 * a symbol, as deflate stores its tables: the lengths alone decide the codes (shorter first, then by symbol), so a
 * file carries no code words. Lengths are limited to {@value #MAX_LENGTH} bits; a decoder is built only from
 * lengths that form a prefix code (Kraft sum <= 1), and decodes bit by bit with counts per length (as zlib's puff),
 * so a corrupt table or stream fails with a message instead of looping or indexing outside its arrays.
 */
final class Huffman {
    static final int MAX_SYMBOLS = 256;
    static final int MAX_LENGTH = 15;

    private Huffman() {}

    /**
     * Code lengths for symbols with these counts (0 for an unused symbol; a single used symbol gets length 1),
     * none over {@value #MAX_LENGTH}: where the optimal code is deeper the counts are halved (kept >= 1) and the
     * code rebuilt, which costs a fraction of a percent on the skewed tables that need it.
     */
    static int[] codeLengths(long[] counts) {
        if (counts.length > MAX_SYMBOLS) throw new IllegalArgumentException(counts.length + " symbols, at most " + MAX_SYMBOLS);
        long[] c = counts.clone();
        while (true) {
            int[] lengths = optimalLengths(c);
            int max = 0;
            for (int l : lengths) max = Math.max(max, l);
            if (max <= MAX_LENGTH) return lengths;
            for (int i = 0; i < c.length; i++) if (c[i] > 0) c[i] = Math.max(1, c[i] >>> 1);
        }
    }

    private static int[] optimalLengths(long[] counts) {
        int n = counts.length;
        int[] lengths = new int[n];
        // nodes 0..n-1 are leaves, then internal nodes; parent[] gives each node's depth
        int[] parent = new int[2 * n];
        PriorityQueue<long[]> q = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        for (int i = 0; i < n; i++) if (counts[i] > 0) q.add(new long[] {counts[i], i});
        if (q.isEmpty()) return lengths;
        if (q.size() == 1) {
            lengths[(int) q.peek()[1]] = 1;
            return lengths;
        }
        int next = n;
        while (q.size() > 1) {
            long[] a = q.poll(), b = q.poll();
            parent[(int) a[1]] = next;
            parent[(int) b[1]] = next;
            q.add(new long[] {a[0] + b[0], next++});
        }
        int root = next - 1;
        int[] depth = new int[2 * n];
        for (int node = root - 1; node >= 0; node--) {
            if (node >= n || counts[node] > 0) depth[node] = depth[parent[node]] + 1; // parents are numbered after children
        }
        for (int i = 0; i < n; i++) if (counts[i] > 0) lengths[i] = depth[i];
        return lengths;
    }

    /** Canonical code words of valid {@code lengths}: by length, then by symbol, counting up. */
    static int[] codes(int[] lengths) {
        int[] count = new int[MAX_LENGTH + 1];
        for (int l : lengths) count[l]++;
        int[] next = new int[MAX_LENGTH + 2];
        int code = 0;
        count[0] = 0;
        for (int len = 1; len <= MAX_LENGTH; len++) {
            code = (code + count[len - 1]) << 1;
            next[len] = code;
        }
        int[] codes = new int[lengths.length];
        for (int s = 0; s < lengths.length; s++) if (lengths[s] > 0) codes[s] = next[lengths[s]]++;
        return codes;
    }

    /** Total bits of {@code counts} coded with {@code lengths}. */
    static long bits(long[] counts, int[] lengths) {
        long b = 0;
        for (int i = 0; i < counts.length; i++) b += counts[i] * lengths[i];
        return b;
    }

    /**
     * A decoder for one table, checked: lengths in [0, 15], at least one code, no over-subscribed length.
     *
     * <p>Decoding is table-driven (as zlib's inflate): the next {@code tableBits} bits of the stream index a table
     * whose entry is the symbol and length of the code they start with, so a code of up to {@code tableBits} bits
     * costs one lookup instead of one step per bit. The rarer longer codes (a code of L bits stands for about 2^-L of
     * the symbols) go the slow way, bit by bit with counts per length (as puff), from the same position. Both ways
     * give the same symbol and fail the same way: an entry whose bits start no code is the bit-by-bit decoder's
     * "not in its table" after 15 bits, or its "ends early" when fewer than 15 are left; a code longer than the
     * bits left is "ends early". A table of 0 bits is the bit-by-bit decoder alone (what the tests and the load
     * benchmark compare with).
     */
    static final class Decoder {
        /** Bits of the first-level table: 1,024 entries; deeper would cost more to fill than it saves on small tensors. */
        static final int TABLE_BITS = 10;
        /** A table entry whose bits begin a code longer than the table: decode it bit by bit. */
        private static final int LONG = -1;
        /** A table entry whose bits begin no code of an incomplete table. */
        private static final int NONE = 0;
        private static final int LENGTH_BITS = 4; // an entry is symbol << 4 | length, length in [1, 15]

        private final int[] count = new int[MAX_LENGTH + 1];
        private final int[] symbols;
        private final int tableBits;
        private final int[] table;

        Decoder(int[] lengths, String what) { this(lengths, what, TABLE_BITS); }

        /** With a first-level table of {@code min(tableBits, longest code)} bits (0: bit by bit only). */
        Decoder(int[] lengths, String what, int tableBits) {
            if (tableBits < 0 || tableBits > MAX_LENGTH) throw new IllegalArgumentException("table bits " + tableBits + " outside [0, " + MAX_LENGTH + "]");
            int used = 0, longest = 0;
            for (int s = 0; s < lengths.length; s++) {
                int l = lengths[s];
                if (l < 0 || l > MAX_LENGTH) throw new IllegalArgumentException(what + ": code length " + l + " of symbol " + s + " is outside [0, " + MAX_LENGTH + "]");
                count[l]++;
                if (l > 0) used++;
                longest = Math.max(longest, l);
            }
            if (used == 0) throw new IllegalArgumentException(what + ": the code table has no codes");
            long left = 1;
            for (int len = 1; len <= MAX_LENGTH; len++) {
                left = (left << 1) - count[len];
                if (left < 0) throw new IllegalArgumentException(what + ": the code lengths are over-subscribed (not a prefix code)");
            }
            symbols = new int[used];
            int[] offset = new int[MAX_LENGTH + 2];
            for (int len = 1; len <= MAX_LENGTH; len++) offset[len + 1] = offset[len] + count[len];
            for (int s = 0; s < lengths.length; s++) if (lengths[s] > 0) symbols[offset[lengths[s]]++] = s;

            this.tableBits = Math.min(tableBits, longest);
            table = new int[1 << this.tableBits]; // all NONE, or one LONG entry when tableBits is 0
            int[] codes = codes(lengths);
            for (int s = 0; s < lengths.length; s++) {
                int l = lengths[s];
                if (l == 0) continue;
                if (l <= this.tableBits) {
                    int from = codes[s] << (this.tableBits - l);
                    java.util.Arrays.fill(table, from, from + (1 << (this.tableBits - l)), s << LENGTH_BITS | l);
                } else {
                    table[codes[s] >>> (l - this.tableBits)] = LONG;
                }
            }
        }

        /** The next symbol; IllegalArgumentException on a code the table does not have or a stream that ends. */
        int decode(BitStream.Reader in, String what) {
            int e = table[in.peek(tableBits)];
            if (e > 0) {
                in.skip(e & (1 << LENGTH_BITS) - 1);
                return e >>> LENGTH_BITS;
            }
            if (e == LONG) return decodeBitByBit(in, what);
            // no code starts with these bits (the unused top of an incomplete code): where the bit-by-bit decoder fails
            if (in.remaining() < MAX_LENGTH) in.skip(MAX_LENGTH);
            throw notInTable(what);
        }

        /** Canonical decoding one bit at a time: the next length's codes are a range counted from {@code first}. */
        private int decodeBitByBit(BitStream.Reader in, String what) {
            int code = 0, first = 0, index = 0;
            for (int len = 1; len <= MAX_LENGTH; len++) {
                code |= in.bit();
                int n = count[len];
                if (code - first < n) return symbols[index + code - first];
                index += n;
                first = (first + n) << 1;
                code <<= 1;
            }
            throw notInTable(what);
        }

        private static IllegalArgumentException notInTable(String what) {
            return new IllegalArgumentException(what + " holds a code that is not in its table (corrupt)");
        }
    }
}
