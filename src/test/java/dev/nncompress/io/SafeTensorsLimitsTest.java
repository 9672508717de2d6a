package dev.nncompress.io;

import dev.nncompress.util.ThreadAllocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The header limits of {@link SafeTensorsHeader}: refused on read with a clear message, and refused on write. */
class SafeTensorsLimitsTest {
    @TempDir Path dir;

    private static String empty(String name) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
    }

    private ModelFormatException rejected(String header) throws Exception {
        Path f = CorruptFiles.write(dir, "bad.safetensors", header, new byte[0]);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        return e;
    }

    @Test
    void headerOverEightMebibytesIsRefusedBeforeItIsRead() throws Exception {
        long n = SafeTensors.MAX_HEADER_BYTES + 1;
        byte[] header = new byte[(int) n];
        Path f = CorruptFiles.writeWithLength(dir, "big.safetensors", n, header, new byte[0]);
        ModelFormatException[] e = new ModelFormatException[1];
        long allocated = ThreadAllocation.during(() -> e[0] = assertThrows(ModelFormatException.class, () -> SafeTensors.read(f)));
        assertTrue(e[0].getMessage().contains("header length 8388609 exceeds the 8388608-byte limit"), e[0].getMessage());
        assertTrue(allocated < (1 << 20), "refused after allocating " + allocated + " bytes");
    }

    @Test
    void tooManyTensorsOrMetadataEntriesAreRefused() throws Exception {
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i <= SafeTensorsHeader.MAX_TENSORS; i++) h.append(i == 0 ? "" : ",").append(empty("t" + i));
        assertTrue(rejected(h.append('}').toString()).getMessage().contains("more than 16384 tensors"));

        StringBuilder m = new StringBuilder("{\"__metadata__\":{");
        for (int i = 0; i <= SafeTensorsHeader.MAX_METADATA_ENTRIES; i++) m.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        assertTrue(rejected(m.append("}}").toString()).getMessage().contains("more than 64 entries"));
    }

    @Test
    void longNamesAndHighRanksAreRefused() throws Exception {
        String longName = "n".repeat(SafeTensorsHeader.MAX_NAME_CHARS + 1);
        String msg = rejected("{" + empty(longName) + "}").getMessage();
        assertTrue(msg.contains("name longer than 512 characters") && msg.contains("'... (513 chars)"), msg);
        assertTrue(rejected("{\"__metadata__\":{\"" + longName + "\":\"v\"}}").getMessage().contains("longer than 512"));
        String rank33 = "[" + "1,".repeat(32) + "1]";
        assertTrue(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":" + rank33 + ",\"data_offsets\":[0,4]}}").getMessage()
                .contains("\"shape\" must be an array of at most 32 integers"));
        assertTrue(rejected("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}").getMessage()
                .contains("\"data_offsets\" must be an array of 2 integers"));
        assertTrue(rejected("{\"w\":{\"dtype\":\"F32\",\"x\":" + "[".repeat(100) + "]".repeat(100) + ",\"shape\":[0],\"data_offsets\":[0,0]}}")
                .getMessage().contains("exceeds a limit of this reader"), "deep nesting stops at Jackson's depth limit");
    }

    @Test
    void namesFromTheFileAreQuotedEscapedAndTruncated() throws Exception {
        String msg = rejected("{\"evil\\u001b]0;pwned\\u0007\\nline2\":{\"dtype\":\"F99\",\"shape\":[0],\"data_offsets\":[0,0]}}").getMessage();
        assertTrue(msg.contains("tensor 'evil\\u001b]0;pwned\\u0007\\nline2': unknown dtype 'F99'"), msg);
        assertFalse(msg.contains("\u001b") || msg.contains("\n"), msg);
        String longName = "a".repeat(400);
        String m2 = rejected("{\"" + longName + "\":3}").getMessage();
        assertTrue(m2.contains("tensor '" + "a".repeat(80) + "'... (400 chars): entry must be a JSON object"), m2);
        String m3 = rejected("{\"__metadata__\":{\"k\":{\"nested\":\"" + "z".repeat(1000) + "\"}}}").getMessage();
        assertTrue(m3.contains("metadata value for 'k' must be a string, got an object"), m3);
    }

    @Test
    void theWriterRefusesWhatTheReaderWouldRefuse() {
        Path f = dir.resolve("w.safetensors");
        Map<String, TensorRecord> many = new LinkedHashMap<>();
        for (int i = 0; i <= SafeTensorsHeader.MAX_TENSORS; i++) many.put("t" + i, TensorRecord.ofFloats(new float[0]));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, many, Map.of()));
        Map<String, TensorRecord> longName = Map.of("n".repeat(513), TensorRecord.ofFloats(new float[1]));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, longName, Map.of()));
        Map<String, String> bigMeta = Map.of("graph", "x".repeat((int) SafeTensors.MAX_HEADER_BYTES));
        var e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, Map.of(), bigMeta));
        assertTrue(e.getMessage().contains("exceeds the 8388608-byte limit"), e.getMessage());
        assertFalse(f.toFile().exists(), "nothing written");
        assertEquals(0, dir.toFile().list().length, "no temporary file either");
    }
}
