package dev.nncompress.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * The bytes {@link SafeTensors#write} would put in a file, in memory (no temporary file, no fsync): for
 * tests that make many files, such as the fuzz targets.
 */
public final class SafeTensorsImage {
    private SafeTensorsImage() {}

    public static byte[] encode(Map<String, TensorRecord> tensors, Map<String, String> metadata) {
        byte[] header = SafeTensors.encodeHeader(tensors, metadata);
        long size = 8L + header.length;
        for (TensorRecord t : tensors.values()) size += t.byteSize();
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header);
        for (TensorRecord t : tensors.values()) out.put(t.data());
        return out.array();
    }
}
