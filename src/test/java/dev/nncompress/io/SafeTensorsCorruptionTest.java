package dev.nncompress.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a file can be malformed must give a ModelFormatException naming file and fault. */
class SafeTensorsCorruptionTest {

    @TempDir
    Path dir;

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape
                + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    /** Reads a file expected to be rejected and checks the message. */
    private void assertRejected(Path f, String... parts) {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> SafeTensors.read(f));
        String msg = e.getMessage();
        assertTrue(msg.contains(f.toString()), () -> "'" + msg + "' does not name the file");
        for (String part : parts) {
            assertTrue(msg.contains(part), () -> "'" + msg + "' lacks '" + part + "'");
        }
    }

    private void assertRejected(String header, int dataBytes, String... parts) throws IOException {
        assertRejected(CorruptFiles.write(dir, "bad.safetensors", header, new byte[dataBytes]),
                parts);
    }

    @Test
    void validBaselineParses() throws IOException {
        Path f = CorruptFiles.write(dir, "ok.safetensors",
                "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "I8", "[3]", 8, 11) + "}",
                new byte[11]);
        assertEquals(2, SafeTensors.read(f).tensors().size());
    }

    @Test
    void shorterThanLengthPrefix() throws IOException {
        assertRejected(Files.write(dir.resolve("five"), new byte[5]), "5 bytes",
                "shorter than the 8-byte");
        assertRejected(Files.write(dir.resolve("zero"), new byte[0]), "0 bytes");
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        byte[] h = "{}".getBytes(StandardCharsets.UTF_8);
        assertRejected(CorruptFiles.writeWithLength(dir, "long", 1000, h, new byte[4]),
                "header length 1000", "larger than the 6 bytes");
        assertRejected(CorruptFiles.writeWithLength(dir, "huge", -1L, h, new byte[0]),
                "header length 18446744073709551615");
    }

    @Test
    void invalidJson() throws IOException {
        assertRejected("{\"a\": {\"dtype\": \"F32\",", 0, "not valid JSON");
        assertRejected("{} trailing", 0, "not valid JSON");
        assertRejected("{} {}", 0, "not valid JSON", "after the top-level object");
        assertRejected("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("a", "F32", "[1]", 4, 8)
                + "}", 8, "not valid JSON", "Duplicate");
        assertRejected("[1, 2]", 0, "must be a JSON object");
        assertRejected("", 0, "must be a JSON object");
        assertRejected("{\"a\": 3}", 0, "tensor 'a'", "entry must be a JSON object");
    }

    @Test
    void badMetadata() throws IOException {
        assertRejected("{\"__metadata__\":{\"epochs\":3}}", 0, "metadata value for 'epochs'");
        assertRejected("{\"__metadata__\":[\"x\"]}", 0, "__metadata__");
    }

    @Test
    void unknownOrMissingDtype() throws IOException {
        assertRejected("{" + entry("w", "F128", "[1]", 0, 16) + "}", 16,
                "tensor 'w'", "unknown dtype 'F128'");
        assertRejected("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "\"dtype\"");
    }

    @Test
    void malformedShapeOrOffsets() throws IOException {
        assertRejected("{" + entry("w", "F32", "[-1]", 0, 4) + "}", 4, "\"shape\"",
                "non-negative");
        assertRejected("{" + entry("w", "F32", "[1.5]", 0, 4) + "}", 4, "\"shape\"");
        assertRejected("{" + entry("w", "F32", "\"2\"", 0, 4) + "}", 4, "\"shape\"");
        assertRejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
                "\"data_offsets\"", "2 integers");
        assertRejected("{" + entry("w", "F32", "[4611686018427387904,4]", 0, 4) + "}", 4,
                "too large");
    }

    @Test
    void shapeDisagreesWithOffsets() throws IOException {
        assertRejected("{" + entry("w", "F32", "[3]", 0, 8) + "}", 8, "tensor 'w'",
                "shape [3] of F32 needs 12 bytes", "span 8");
    }

    @Test
    void offsetsOutOfBounds() throws IOException {
        assertRejected("{" + entry("w", "F32", "[4]", 0, 16) + "}", 8, "tensor 'w'",
                "[0, 16]", "out of bounds of the 8-byte data section");
        assertRejected("{" + entry("w", "F32", "[0]", 8, 4) + "}", 8, "out of bounds");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertRejected("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12)
                + "}", 12, "tensor 'b'", "overlap tensor 'a'");
        assertRejected("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 0, 8)
                + "}", 8, "overlap");
    }

    @Test
    void gapInDataSection() throws IOException {
        assertRejected("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 8, 12)
                + "}", 12, "bytes [4, 8)", "belong to no tensor", "before tensor 'b'");
        assertRejected("{" + entry("b", "F32", "[1]", 4, 8) + "}", 8, "bytes [0, 4)");
    }

    @Test
    void trailingBytes() throws IOException {
        assertRejected("{" + entry("a", "F32", "[2]", 0, 8) + "}", 11, "3 trailing bytes");
        assertRejected("{}", 1, "1 trailing bytes");
    }
}
