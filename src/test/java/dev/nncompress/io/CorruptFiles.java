package dev.nncompress.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors files byte by byte, valid or not. */
final class CorruptFiles {

    private CorruptFiles() {
    }

    /** Length prefix (the header's real UTF-8 length), header, then {@code data}. */
    static Path write(Path dir, String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return writeWithLength(dir, name, h.length, h, data);
    }

    /** Like {@link #write} but with an arbitrary, possibly wrong, length prefix. */
    static Path writeWithLength(Path dir, String name, long length, byte[] header, byte[] data)
            throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(length).put(header).put(data);
        return Files.write(dir.resolve(name), b.array());
    }
}
