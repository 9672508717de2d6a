package dev.nncompress.io;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HuffmanTest {
    /** The textbook case (CLRS 16.3): a:45 b:13 c:12 d:16 e:9 f:5 -> lengths 1 3 3 3 4 4, 224 bits. */
    @Test
    void textbookCodeLengthsAndCanonicalCodes() {
        long[] counts = {45, 13, 12, 16, 9, 5};
        int[] lengths = Huffman.codeLengths(counts);
        assertArrayEquals(new int[] {1, 3, 3, 3, 4, 4}, lengths);
        assertEquals(224, Huffman.bits(counts, lengths));
        // canonical: a=0, b=100, c=101, d=110, e=1110, f=1111
        assertArrayEquals(new int[] {0b0, 0b100, 0b101, 0b110, 0b1110, 0b1111}, Huffman.codes(lengths));
    }

    @Test
    void lengthsAreLimitedToFifteenBits() {
        long[] fib = new long[30];
        fib[0] = fib[1] = 1;
        for (int i = 2; i < fib.length; i++) fib[i] = fib[i - 1] + fib[i - 2]; // an optimal code would be 29 deep
        int[] lengths = Huffman.codeLengths(fib);
        for (int l : lengths) assertTrue(l >= 1 && l <= Huffman.MAX_LENGTH, "length " + l);
        new Huffman.Decoder(lengths, "fib"); // still a prefix code
        assertArrayEquals(new int[] {0, 1, 0}, Huffman.codeLengths(new long[] {0, 7, 0}), "one symbol: one bit");
    }

    @Test
    void randomSymbolsRoundTrip() {
        SplittableRandom r = new SplittableRandom(5);
        long[] counts = new long[40];
        int[] symbols = new int[5000];
        for (int i = 0; i < symbols.length; i++) counts[symbols[i] = (int) Math.min(39, Math.abs(r.nextGaussian() * 8))]++;
        int[] lengths = Huffman.codeLengths(counts);
        int[] codes = Huffman.codes(lengths);
        BitStream.Writer w = new BitStream.Writer();
        for (int s : symbols) w.write(codes[s], lengths[s]);
        assertEquals(Huffman.bits(counts, lengths), w.bitLength());
        BitStream.Reader in = new BitStream.Reader(w.toBytes(), w.bitLength(), "stream");
        Huffman.Decoder d = new Huffman.Decoder(lengths, "table");
        for (int s : symbols) assertEquals(s, d.decode(in, "stream"));
        assertEquals(0, in.remaining());
        var e = assertThrows(IllegalArgumentException.class, () -> d.decode(in, "stream"));
        assertTrue(e.getMessage().contains("ends early"), e.getMessage());
    }

    @Test
    void badTablesAndCodesAreRefused() {
        var over = assertThrows(IllegalArgumentException.class, () -> new Huffman.Decoder(new int[] {1, 1, 1}, "t"));
        assertTrue(over.getMessage().contains("over-subscribed"), over.getMessage());
        var none = assertThrows(IllegalArgumentException.class, () -> new Huffman.Decoder(new int[] {0, 0}, "t"));
        assertTrue(none.getMessage().contains("no codes"), none.getMessage());
        var big = assertThrows(IllegalArgumentException.class, () -> new Huffman.Decoder(new int[] {16, 1}, "t"));
        assertTrue(big.getMessage().contains("outside [0, 15]"), big.getMessage());
        // an incomplete code (one symbol of length 2: only 00 exists): 11 is no code
        Huffman.Decoder d = new Huffman.Decoder(new int[] {2}, "t");
        BitStream.Reader in = new BitStream.Reader(new byte[] {(byte) 0xff, (byte) 0xff}, 16, "s");
        var e = assertThrows(IllegalArgumentException.class, () -> d.decode(in, "s"));
        assertTrue(e.getMessage().contains("not in its table"), e.getMessage());
    }

    /** Gaps and runs, with escapes (gaps longer than 2^g - 2) and a kept first element, decode to the same mask. */
    @Test
    void positionCodingsRoundTrip() {
        SplittableRandom r = new SplittableRandom(9);
        boolean[] kept = new boolean[3000];
        kept[0] = true;
        for (int i = 1; i < kept.length; i++) kept[i] = i > 2000 && i < 2100 || i == 2999 || r.nextDouble() < 0.05;
        int count = 0;
        for (boolean k : kept) if (k) count++;
        int nnz = count;
        for (PositionCoding.Mode mode : new PositionCoding.Mode[] {PositionCoding.Mode.GAPS, PositionCoding.Mode.RUNS}) {
            for (int bits = 1; bits <= 8; bits++) {
                int g = bits;
                int[] symbols = PositionCoding.symbols(kept, mode, g);
                long[] counts = new long[1 << g];
                for (int s : symbols) counts[s]++;
                int[] lengths = Huffman.codeLengths(counts);
                int[] codes = Huffman.codes(lengths);
                BitStream.Writer w = new BitStream.Writer();
                for (int s : symbols) w.write(codes[s], lengths[s]);
                BitStream.Reader in = new BitStream.Reader(w.toBytes(), w.bitLength(), "p");
                int[] back = PositionCoding.decode(new Huffman.Decoder(lengths, "t"), in, mode, g, kept.length, nnz, "p");
                assertArrayEquals(positionsOf(kept), back, mode + " g=" + g);
                assertEquals(0, in.remaining());
                // one element fewer than the stream describes: the decoder refuses to write past the end
                var e = assertThrows(IllegalArgumentException.class, () -> PositionCoding.decode(new Huffman.Decoder(lengths, "t"),
                        new BitStream.Reader(w.toBytes(), w.bitLength(), "p"), mode, g, 2999, nnz, "p"));
                assertTrue(e.getMessage().contains("past the tensor") || e.getMessage().contains("passes the tensor")
                        || e.getMessage().contains("the runs keep " + (nnz - 1) + " elements, the index says " + nnz), e.getMessage());
                // a stream keeping more elements than the index says: runs are refused before they write past nnz
                // positions; gaps stop at nnz with bits left over (CodedStorage refuses those)
                BitStream.Reader again = new BitStream.Reader(w.toBytes(), w.bitLength(), "p");
                if (mode == PositionCoding.Mode.RUNS) {
                    var more = assertThrows(IllegalArgumentException.class, () -> PositionCoding.decode(new Huffman.Decoder(lengths, "t"), again, mode, g,
                            kept.length, nnz - 1, "p"));
                    assertTrue(more.getMessage().contains("keep more than the " + (nnz - 1)), more.getMessage());
                } else {
                    PositionCoding.decode(new Huffman.Decoder(lengths, "t"), again, mode, g, kept.length, nnz - 1, "p");
                    assertTrue(again.remaining() > 0);
                }
            }
        }
    }

    private static int[] positionsOf(boolean[] kept) {
        PositionCoding.IntList l = new PositionCoding.IntList();
        for (int i = 0; i < kept.length; i++) if (kept[i]) l.add(i);
        return l.toArray();
    }
}
