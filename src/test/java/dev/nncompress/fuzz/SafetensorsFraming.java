package dev.nncompress.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Keeps a mutated safetensors file's 8-byte header length in step with its JSON header. Most of
 * libFuzzer's mutations insert or erase bytes; in the header they would leave the length pointing into the
 * JSON, and every such input would die at the first check instead of reaching the header's contents.
 * When the bytes after the prefix start with a balanced JSON object, the prefix is set to its length
 * (with the writer's space padding); otherwise the input keeps its own prefix, so wrong lengths are still
 * fuzzed.
 */
final class SafetensorsFraming {
    private static final int PREFIX = 8;

    private SafetensorsFraming() {}

    static byte[] reframe(byte[] file) {
        if (file.length <= PREFIX || file[PREFIX] != '{') return file;
        int end = endOfObject(file, PREFIX);
        if (end < 0) return file;
        while (end < file.length && file[end] == ' ') end++;
        long length = end - PREFIX;
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(0) == length) return file;
        byte[] out = file.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        return out;
    }

    /** Index just past the '}' closing the object that starts at {@code start}, or -1 when it does not close. */
    static int endOfObject(byte[] b, int start) {
        int depth = 0;
        boolean inString = false;
        for (int i = start; i < b.length; i++) {
            byte c = b[i];
            if (inString) {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return -1;
    }
}
