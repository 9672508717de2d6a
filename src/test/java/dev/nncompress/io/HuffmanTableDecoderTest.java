package dev.nncompress.io;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The table-driven Huffman decoder against the bit-by-bit one (a table of 0 bits): over random code-length
 * distributions (complete and incomplete codes, single symbols, codes up to the 15-bit maximum) and random streams
 * (valid, truncated, random bits with dirty padding), every table size gives the same symbols, the same bits left
 * after each, and the same error.
 */
class HuffmanTableDecoderTest {
    private static final int[] TABLE_SIZES = {1, 2, 5, 8, 9, Huffman.Decoder.TABLE_BITS, 11, 14, 15};

    /** What decoding a stream to its end gives: each symbol with the bits left after it, then the error, if any. */
    private static List<String> trace(int[] lengths, int tableBits, byte[] bytes, long bitLength) {
        Huffman.Decoder d = new Huffman.Decoder(lengths, "table", tableBits);
        BitStream.Reader in = new BitStream.Reader(bytes, bitLength, "stream");
        List<String> out = new ArrayList<>();
        try {
            while (in.remaining() > 0) out.add(d.decode(in, "stream") + "@" + in.remaining());
            d.decode(in, "stream"); // past the end: always an error
            out.add("no error at the end");
        } catch (IllegalArgumentException e) {
            out.add(e.getMessage());
        }
        return out;
    }

    private static void assertSameDecoding(int[] lengths, byte[] bytes, long bitLength, String what) {
        List<String> reference = trace(lengths, 0, bytes, bitLength);
        for (int bits : TABLE_SIZES) assertEquals(reference, trace(lengths, bits, bytes, bitLength), what + ", table of " + bits + " bits");
    }

    /** Lengths of an optimal (15-bit limited) code for random counts: skewed, flat, or Fibonacci (deepest codes). */
    private static int[] randomLengths(SplittableRandom r) {
        int k = switch (r.nextInt(4)) {
            case 0 -> 1 + r.nextInt(3);
            case 1 -> 2 + r.nextInt(30);
            default -> 2 + r.nextInt(Huffman.MAX_SYMBOLS - 1);
        };
        long[] counts = new long[k];
        int shape = r.nextInt(3);
        for (int i = 0; i < k; i++) {
            counts[i] = switch (shape) {
                case 0 -> 1 + r.nextInt(1000);                                   // flat-ish
                case 1 -> Math.max(1, (long) (1e6 * Math.exp(-i * (0.2 + r.nextDouble())))); // skewed
                default -> i < 2 ? 1 : counts[i - 1] + counts[i - 2];            // Fibonacci: needs the 15-bit limit
            };
            if (r.nextInt(8) == 0) counts[i] = 0; // unused symbols
        }
        if (r.nextBoolean()) { // shuffle, so long codes are not always the high symbols
            for (int i = k - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                long t = counts[i];
                counts[i] = counts[j];
                counts[j] = t;
            }
        }
        int[] lengths = Huffman.codeLengths(counts);
        boolean any = false;
        for (int l : lengths) any |= l > 0;
        if (!any) lengths[r.nextInt(k)] = 1 + r.nextInt(Huffman.MAX_LENGTH); // one symbol alone, of any length
        else if (r.nextInt(4) == 0) { // drop a used symbol: an incomplete code, whose unused top decodes to nothing
            int used = 0;
            for (int l : lengths) if (l > 0) used++;
            if (used > 1) for (int i = 0; i < k; i++) if (lengths[i] > 0 && r.nextBoolean()) { lengths[i] = 0; break; }
        }
        return lengths;
    }

    @Test
    void tablesDecodeValidTruncatedAndRandomStreamsLikeTheBitByBitDecoder() {
        SplittableRandom r = new SplittableRandom(22);
        int deepest = 0;
        for (int trial = 0; trial < 150; trial++) {
            int[] lengths = randomLengths(r);
            for (int l : lengths) deepest = Math.max(deepest, l);
            int[] codes = Huffman.codes(lengths);
            List<Integer> used = new ArrayList<>();
            for (int s = 0; s < lengths.length; s++) if (lengths[s] > 0) used.add(s);
            // a valid stream of random symbols (rare ones included: drawn uniformly over the used symbols)
            BitStream.Writer w = new BitStream.Writer();
            for (int i = 0, n = r.nextInt(400); i < n; i++) {
                int s = used.get(r.nextInt(used.size()));
                w.write(codes[s], lengths[s]);
            }
            byte[] valid = w.toBytes();
            assertSameDecoding(lengths, valid, w.bitLength(), "trial " + trial + " valid");
            // the same stream cut short anywhere, mid-code included
            long cut = w.bitLength() == 0 ? 0 : r.nextLong(w.bitLength());
            byte[] cutBytes = java.util.Arrays.copyOf(valid, (int) ((cut + 7) / 8));
            assertSameDecoding(lengths, cutBytes, cut, "trial " + trial + " cut at " + cut);
            // random bits, the padding of the last byte not cleared
            byte[] noise = new byte[r.nextInt(64)];
            r.nextBytes(noise);
            long noiseBits = noise.length == 0 ? 0 : 8L * noise.length - r.nextInt(8);
            assertSameDecoding(lengths, noise, noiseBits, "trial " + trial + " noise");
        }
        assertEquals(Huffman.MAX_LENGTH, deepest, "some tables reach the 15-bit maximum");
    }

    @Test
    void singleSymbolTablesAndTheirErrors() {
        for (int len = 1; len <= Huffman.MAX_LENGTH; len++) {
            int[] lengths = {0, 0, len}; // one code, all zeros, len bits long; every code with a 1 in it is not in the table
            for (long bits = 0; bits <= 40; bits++) {
                assertSameDecoding(lengths, new byte[(int) ((bits + 7) / 8)], bits, "zeros, len " + len + ", " + bits + " bits");
                byte[] ones = new byte[(int) ((bits + 7) / 8)];
                java.util.Arrays.fill(ones, (byte) 0xff);
                assertSameDecoding(lengths, ones, bits, "ones, len " + len + ", " + bits + " bits");
            }
        }
        List<String> t = trace(new int[] {0, 1}, Huffman.Decoder.TABLE_BITS, new byte[2], 16);
        assertEquals(17, t.size());
        assertEquals("1@15", t.get(0));
        assertTrue(t.get(16).contains("ends early"), t.get(16));
    }
}
