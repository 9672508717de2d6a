package dev.nncompress.io;

import java.util.Arrays;

/**
 * Bits packed most significant first into bytes, for the entropy-coded streams of {@link CodedStorage}: a
 * {@link Writer} that grows, and a {@link Reader} over a stream of a stated bit length that refuses to read past
 * it (a truncated or lying stream is an IllegalArgumentException, never an index out of bounds).
 */
final class BitStream {
    private BitStream() {}

    static final class Writer {
        private byte[] bytes = new byte[64];
        private long bits;

        /** Appends the low {@code length} bits of {@code code}, most significant first. */
        void write(int code, int length) {
            for (int i = length - 1; i >= 0; i--) {
                int byteIndex = (int) (bits >>> 3);
                if (byteIndex == bytes.length) bytes = Arrays.copyOf(bytes, bytes.length * 2);
                if ((code >>> i & 1) != 0) bytes[byteIndex] |= (byte) (0x80 >>> (bits & 7));
                bits++;
            }
        }

        long bitLength() { return bits; }

        /** The whole bytes holding the stream; the padding bits of the last one are 0. */
        byte[] toBytes() { return Arrays.copyOf(bytes, (int) ((bits + 7) >>> 3)); }
    }

    static final class Reader {
        /** The stream and {@link #PEEK_SLACK} zero bytes, so that {@link #peek} reads whole bytes without a bounds test. */
        private final byte[] bytes;
        private final long length;
        private final String what;
        private long pos;

        private static final int PEEK_SLACK = 3;

        /** @param bytes exactly ceil(length / 8) bytes whose padding bits are 0 (checked by the caller's format) */
        Reader(byte[] bytes, long length, String what) {
            this.bytes = Arrays.copyOf(bytes, bytes.length + PEEK_SLACK);
            this.length = length;
            this.what = what;
        }

        int bit() {
            if (pos >= length) throw endsEarly();
            int b = bytes[(int) (pos >>> 3)] >>> (7 - (pos & 7)) & 1;
            pos++;
            return b;
        }

        /**
         * The next {@code n} bits (0 to 16) as a number, first bit most significant, without consuming them; bits past
         * the end of the stream are its padding and then 0 (whether a code reaching there is whole is {@link #skip}'s
         * check, so a decoder gives the same answer whatever they are).
         */
        int peek(int n) {
            int i = (int) (pos >>> 3);
            int window = (bytes[i] & 0xff) << 16 | (bytes[i + 1] & 0xff) << 8 | bytes[i + 2] & 0xff;
            return window >>> (24 - (int) (pos & 7) - n) & (1 << n) - 1;
        }

        /** Consumes {@code n} bits; IllegalArgumentException (the stream ends early) if fewer are left. */
        void skip(int n) {
            if (n > length - pos) {
                pos = length;
                throw endsEarly();
            }
            pos += n;
        }

        long remaining() { return length - pos; }

        private IllegalArgumentException endsEarly() {
            return new IllegalArgumentException(what + " ends early (truncated or corrupt: all " + length + " bits read)");
        }
    }

    /** IllegalArgumentException unless the bits after the first {@code length} of {@code bytes} are 0 (one canonical encoding). */
    static void checkPadding(byte[] bytes, long length, String what) {
        int used = (int) (length & 7);
        if (used != 0 && (bytes[bytes.length - 1] & (0xff >>> used)) != 0) {
            throw new IllegalArgumentException(what + " has bits set after its last (" + length + ")");
        }
    }
}
