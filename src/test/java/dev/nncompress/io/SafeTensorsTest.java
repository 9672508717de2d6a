package dev.nncompress.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    @TempDir
    Path dir;

    private static final float[] FLOATS = {
        1.5f, -0.0f, 0.0f, Float.NaN, Float.intBitsToFloat(0x7fc0_1234),
        Float.intBitsToFloat(0xffc0_0001),
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE,
        -3.25e-20f, 12345.678f,
    };

    private static Map<String, TensorRecord> sample() {
        Map<String, TensorRecord> t = new LinkedHashMap<>();
        t.put("z.weight", TensorRecord.ofFloats(FLOATS, 3, 4));
        t.put("a.codes", TensorRecord.ofBytes(new byte[] {-128, -1, 0, 1, 127}));
        t.put("m.index", TensorRecord.ofInts(
                new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE}, 2, 2));
        t.put("steps", TensorRecord.ofLongs(new long[] {Long.MIN_VALUE, 1L << 40}, 2));
        t.put("u", TensorRecord.ofUnsignedBytes(new byte[] {(byte) 255, 0}, 2));
        t.put("half", TensorRecord.ofRaw("F16", new long[] {2},
                new byte[] {0x00, 0x3c, 0x00, (byte) 0xc0})); // 1.0, -2.0 as raw halves
        t.put("scale", TensorRecord.ofFloats(new float[] {0.5f}, new long[0])); // scalar
        t.put("empty", TensorRecord.ofFloats(new float[0], 0, 3));
        return t;
    }

    private static Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("note", "größe \"quoted\" \u2603");
        m.put("arch", "{\"layers\": [1, 2]}");
        return m;
    }

    private List<Path> dirEntries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void roundTripIsBitExact() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, sample(), metadata());
        SafeTensorsFile read = SafeTensors.read(f);

        assertEquals(List.copyOf(sample().keySet()), List.copyOf(read.tensors().keySet()));
        assertEquals(sample(), read.tensors());
        assertEquals(metadata(), read.metadata());

        float[] floats = read.tensor("z.weight").toFloats();
        for (int i = 0; i < FLOATS.length; i++) {
            assertEquals(Float.floatToRawIntBits(FLOATS[i]), Float.floatToRawIntBits(floats[i]),
                    "float " + i);
        }
        assertArrayEquals(new long[] {3, 4}, read.tensor("z.weight").shape());
        assertArrayEquals(new byte[] {-128, -1, 0, 1, 127}, read.tensor("a.codes").toBytes());
        assertArrayEquals(new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE},
                read.tensor("m.index").toInts());
        assertArrayEquals(new long[] {Long.MIN_VALUE, 1L << 40}, read.tensor("steps").toLongs());
        assertEquals("F16", read.tensor("half").dtype());
        assertArrayEquals(new long[0], read.tensor("scale").shape());
        assertEquals(0, read.tensor("empty").byteSize());
        assertThrows(ModelFormatException.class, () -> read.tensor("missing"));
    }

    @Test
    void writesSpecLayoutExactly() throws IOException {
        Map<String, TensorRecord> t = new LinkedHashMap<>();
        t.put("w", TensorRecord.ofFloats(new float[] {1f, -2f}, 2));
        Path f = dir.resolve("w.safetensors");
        SafeTensors.write(f, t, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(f);

        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        int padded = (json.length() + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(padded, b.getLong(0));
        assertEquals(json + " ".repeat(padded - json.length()),
                new String(bytes, 8, padded, StandardCharsets.UTF_8));
        assertEquals(8 + padded + 8, bytes.length);
        assertEquals(1f, b.getFloat(8 + padded));
        assertEquals(-2f, b.getFloat(8 + padded + 4));
    }

    @Test
    void sameInputGivesSameBytes() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        SafeTensors.write(a, sample(), new HashMap<>(metadata()));
        SafeTensors.write(b, sample(), new TreeMap<>(metadata()));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(a)).order(ByteOrder.LITTLE_ENDIAN)
                .getLong(0);
        assertEquals(0, headerLength % 8, "data section starts 8-byte aligned");
    }

    @Test
    void parsesHandBuiltFileLikeOtherWritersProduce() throws IOException {
        // As the reference Python writer lays it out: metadata first, compact JSON, space padded.
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"bias\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[16,19]}}   ";
        byte[] data = {
            0x00, 0x00, (byte) 0x80, 0x3f, // 1.0f
            0x00, 0x00, 0x00, (byte) 0xc0, // -2.0f
            0x00, 0x00, 0x00, 0x3f, // 0.5f
            0x00, 0x00, 0x50, 0x40, // 3.25f
            (byte) 0xff, 0x00, 0x7f, // I8 -1, 0, 127
        };
        Path f = CorruptFiles.write(dir, "interop.safetensors", header, data);
        SafeTensorsFile read = SafeTensors.read(f);
        assertEquals(List.of("weight", "bias"), List.copyOf(read.tensors().keySet()));
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 3.25f}, read.tensor("weight").toFloats());
        assertArrayEquals(new long[] {2, 2}, read.tensor("weight").shape());
        assertArrayEquals(new byte[] {-1, 0, 127}, read.tensor("bias").toBytes());
        assertEquals(Map.of("format", "pt"), read.metadata());
    }

    @Test
    void atomicWriteLeavesOnlyTheTarget() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, sample(), null);
        SafeTensors.write(f, Map.of("x", TensorRecord.ofInts(new int[] {7})), null); // replace
        assertEquals(List.of(f), dirEntries());
        assertArrayEquals(new int[] {7}, SafeTensors.read(f).tensor("x").toInts());
        assertEquals(Map.of(), SafeTensors.read(f).metadata());
    }

    @Test
    void failureMidWriteKeepsExistingFile() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, sample(), metadata());
        byte[] before = Files.readAllBytes(f);

        Map<String, TensorRecord> other = Map.of("y", TensorRecord.ofFloats(new float[] {2f}));
        RuntimeException boom = new IllegalStateException("disk on fire");
        RuntimeException thrown = assertThrows(RuntimeException.class,
                () -> SafeTensors.write(f, other, null, () -> {
                    throw boom;
                }));
        assertEquals(boom, thrown);
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(List.of(f), dirEntries());
    }

    @Test
    void failedRenameCleansUp() throws IOException {
        Path target = Files.createDirectories(dir.resolve("taken.safetensors"));
        Files.writeString(target.resolve("inside"), "x"); // a non-empty dir cannot be replaced
        assertThrows(IOException.class, () -> SafeTensors.write(target, sample(), null));
        assertEquals(List.of(target), dirEntries());
        assertEquals("x", Files.readString(target.resolve("inside")));

        Path noDir = dir.resolve("absent").resolve("m.safetensors");
        assertThrows(IOException.class, () -> SafeTensors.write(noDir, sample(), null));
        assertEquals(List.of(target), dirEntries());
    }

    @Test
    void unwritableDirectoryKeepsExistingFile() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("ro"));
        Path f = sub.resolve("model.safetensors");
        SafeTensors.write(f, sample(), null);
        byte[] before = Files.readAllBytes(f);
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Assumptions.assumeFalse(Files.isWritable(sub), "running as root: permissions ignored");
            assertThrows(IOException.class, () -> SafeTensors.write(f, Map.of(), null));
            assertArrayEquals(before, Files.readAllBytes(f));
        } finally {
            Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void invalidInputIsRejectedBeforeTouchingDisk() {
        Path f = dir.resolve("bad.safetensors");
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f,
                Map.of("__metadata__", TensorRecord.ofInts(new int[] {1})), null));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f,
                Map.of("", TensorRecord.ofInts(new int[] {1})), null));
        assertTrue(Files.notExists(f));
    }
}
