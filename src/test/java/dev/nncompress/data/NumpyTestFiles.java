package dev.nncompress.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Hand-built .npy and .npz bytes for the hostile cases, the fuzz seeds and CLI tests (the honest ones come from numpy: src/test/resources/data). */
public final class NumpyTestFiles {
    private NumpyTestFiles() {}

    /** A version 1.0 .npy with {@code dict} as its header (padded with spaces and a newline to 64 bytes, as numpy does). */
    public static byte[] npy(String dict, byte[] data) {
        return npy(1, dict, data);
    }

    public static byte[] npy(int major, String dict, byte[] data) {
        int pre = major == 1 ? 10 : 12;
        StringBuilder h = new StringBuilder(dict);
        while ((pre + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        byte[] header = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(pre + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
        if (major == 1) b.putShort((short) header.length); else b.putInt(header.length);
        return b.put(header).put(data).array();
    }

    public static String dict(String descr, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    }

    public static byte[] int64s(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        return b.array();
    }

    public static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    /** A zip of the entries (name -> bytes), deflated or stored. */
    public static byte[] zip(Map<String, byte[]> entries, boolean deflate) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (var e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    ze.setMethod(ZipEntry.STORED);
                    ze.setSize(e.getValue().length);
                    ze.setCompressedSize(e.getValue().length);
                    ze.setCrc(crc.getValue());
                }
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Sets the uncompressed size of the {@code index}-th central-directory entry (what ZipFile believes). */
    static byte[] withDeclaredSize(byte[] zip, int index, long size) {
        byte[] z = zip.clone();
        int seen = 0;
        for (int i = 0; i + 4 <= z.length; i++) {
            if (z[i] == 0x50 && z[i + 1] == 0x4b && z[i + 2] == 0x01 && z[i + 3] == 0x02 && seen++ == index) {
                ByteBuffer.wrap(z, i + 24, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) size);
                return z;
            }
        }
        throw new IllegalArgumentException("no central-directory entry " + index);
    }
}
