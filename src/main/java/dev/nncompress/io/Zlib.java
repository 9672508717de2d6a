package dev.nncompress.io;

import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * zlib streams for the coded formats' headers, optionally with a preset dictionary (RFC 1950's FDICT: the
 * stream names the dictionary by its Adler-32, so a reader with another dictionary stops instead of
 * misreading). Inflating is bounded: at most {@code maxBytes} out, the checksum must hold, and a stream that
 * ends early is an error; the caller learns where the stream ended.
 */
final class Zlib {
    private Zlib() {}

    /** {@code data} deflated at level 9, with {@code dictionary} preset when it is not null. */
    static byte[] deflate(byte[] data, byte[] dictionary) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        try {
            if (dictionary != null) d.setDictionary(dictionary);
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
            byte[] buf = new byte[4096];
            while (!d.finished()) out.write(buf, 0, d.deflate(buf));
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    /** An inflated stream and how many input bytes it took. */
    record Inflated(byte[] bytes, int consumed) {}

    /**
     * Inflates the zlib stream at the start of {@code in[0, length)}; IllegalArgumentException (beginning with
     * {@code what}) when it is not one, asks for another dictionary, ends early or inflates to more than {@code maxBytes}.
     */
    static Inflated inflate(byte[] in, int length, byte[] dictionary, long maxBytes, String what) {
        Inflater inf = new Inflater();
        try {
            inf.setInput(in, 0, length);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(length * 3, 1 << 16));
            byte[] buf = new byte[8192];
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && inf.needsDictionary()) {
                    long id = inf.getAdler() & 0xffffffffL;
                    if (dictionary == null || id != adler32(dictionary)) {
                        throw new IllegalArgumentException(what + " needs a deflate dictionary this build does not have (Adler-32 " + Long.toHexString(id) + ")");
                    }
                    inf.setDictionary(dictionary);
                    continue;
                }
                if (n == 0 && inf.needsInput()) throw new IllegalArgumentException(what + " ends early (truncated or corrupt deflate stream)");
                out.write(buf, 0, n);
                if (out.size() > maxBytes) throw new IllegalArgumentException(what + " inflates to more than " + maxBytes + " bytes");
            }
            return new Inflated(out.toByteArray(), length - inf.getRemaining());
        } catch (DataFormatException e) {
            throw new IllegalArgumentException(what + " is not a valid zlib stream: " + e.getMessage(), e);
        } finally {
            inf.end();
        }
    }

    static long adler32(byte[] b) {
        java.util.zip.Adler32 a = new java.util.zip.Adler32();
        a.update(b);
        return a.getValue();
    }
}
