package dev.nncompress.fuzz;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Two files and a flags byte in one fuzz input, as the bytes {@code flags, u32 big-endian length L of the first
 * file, L bytes, the second file's bytes} (L is clamped to what is there, so every input decodes): the framing of the
 * targets whose loader reads two files (IDX images and labels, NumPy x and y, a CIFAR batch and its names).
 */
record FilePair(int flags, byte[] first, byte[] second) {
    static FilePair decode(byte[] in) {
        if (in.length < 5) return new FilePair(in.length == 0 ? 0 : in[0], new byte[0], new byte[0]);
        ByteBuffer b = ByteBuffer.wrap(in);
        long want = Integer.toUnsignedLong(b.getInt(1));
        int l = (int) Math.min(want, in.length - 5);
        return new FilePair(in[0], Arrays.copyOfRange(in, 5, 5 + l), Arrays.copyOfRange(in, 5 + l, in.length));
    }

    byte[] encode() {
        return ByteBuffer.allocate(5 + first.length + second.length).put((byte) flags).putInt(first.length).put(first).put(second).array();
    }
}
