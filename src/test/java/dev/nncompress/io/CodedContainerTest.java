package dev.nncompress.io;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** coded/3's body: the deflated inner header and data, damaged in every way its reader checks. */
class CodedContainerTest {
    private final Backend backend = new ReferenceBackend();
    @TempDir Path dir;

    /**
     * The dictionary is part of the format: a coded/3 file names it by its Adler-32, so an edited dictionary makes
     * every file written before unreadable. Change it only with a new format name (and keep the old one for reading).
     */
    @Test
    void theDictionaryIsPinned() {
        assertEquals(0xbc9b1635L, Zlib.adler32(CodedContainer.dictionary()));
    }

    private Path saved() {
        Path f = dir.resolve("c.safetensors");
        ModelIO.save(Models.lenet5(backend, 1), f, Map.of("task", "t"), ModelIO.Storage.CODED);
        return f;
    }

    /** A coded/3 file whose body is {@code body}, with the outer metadata {@code meta} (the format added). */
    private Path withBody(byte[] body, Map<String, String> extraMeta, Map<String, TensorRecord> extraTensors) throws Exception {
        Map<String, TensorRecord> t = new LinkedHashMap<>();
        t.put(CodedContainer.BODY, TensorRecord.ofUnsignedBytes(body, body.length));
        t.putAll(extraTensors);
        Map<String, String> meta = new LinkedHashMap<>(extraMeta);
        meta.put(Int8ModelIO.FORMAT_KEY, CodedStorage.FORMAT);
        Path f = dir.resolve("bad.safetensors");
        SafeTensors.write(f, t, meta);
        return f;
    }

    private void assertRefused(Path f, String expected) {
        var e = assertThrows(ModelFormatException.class, () -> ModelIO.load(f, backend));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aBodyOfTheWrongShapeOrCompanyIsRefused() throws Exception {
        byte[] body = SafeTensors.read(saved()).tensors().get(CodedContainer.BODY).toBytes();
        assertRefused(withBody(body, Map.of(ModelIO.GRAPH_KEY, "{}"), Map.of()), "metadata 'nncompress.graph' outside nncompress.body");
        assertRefused(withBody(body, Map.of(), Map.of("x", TensorRecord.ofFloats(new float[] {1}))), "holds one tensor, nncompress.body");
        Path f = dir.resolve("f32.safetensors");
        SafeTensors.write(f, Map.of(CodedContainer.BODY, TensorRecord.ofFloats(new float[] {1, 2})), Map.of(Int8ModelIO.FORMAT_KEY, CodedStorage.FORMAT));
        assertRefused(f, "nncompress.body must be a 1-D U8 tensor, got F32");
    }

    @Test
    void damagedStreamsAndHeadersAreOneLineErrors() throws Exception {
        SafeTensorsFile st = ModelIO.readFile(saved());
        byte[] body = SafeTensors.read(saved()).tensors().get(CodedContainer.BODY).toBytes();
        Map<String, String> inner = new LinkedHashMap<>(st.metadata());
        inner.remove(Int8ModelIO.FORMAT_KEY);
        byte[] header = SafeTensors.encodeHeader(st.tensors(), inner);
        int z = CodedContainer.deflatedHeader(st.tensors(), inner).length;
        byte[] data = Arrays.copyOfRange(body, z, body.length);

        assertRefused(withBody(Arrays.copyOf(body, z - 5), Map.of(), Map.of()), "nncompress.body's header ends early");
        assertRefused(withBody(Arrays.copyOf(body, body.length - 1), Map.of(), Map.of()), "");
        assertRefused(withBody(Arrays.copyOf(body, body.length + 3), Map.of(), Map.of()), "trailing bytes after the last tensor");
        byte[] flipped = body.clone();
        flipped[z / 2] ^= 0x20;
        assertRefused(withBody(flipped, Map.of(), Map.of()), "");
        byte[] otherDict = "another dictionary".getBytes(StandardCharsets.US_ASCII);
        assertRefused(withBody(concat(Zlib.deflate(header, otherDict), data), Map.of(), Map.of()), "needs a deflate dictionary this build does not have");
        assertRefused(withBody(concat(Zlib.deflate("[1,2]".getBytes(StandardCharsets.US_ASCII), CodedContainer.dictionary()), data), Map.of(), Map.of()),
                "header must be a JSON object");
        Map<String, String> withFormat = new LinkedHashMap<>(inner);
        withFormat.put(Int8ModelIO.FORMAT_KEY, CodedStorage.FORMAT);
        assertRefused(withBody(concat(Zlib.deflate(SafeTensors.encodeHeader(st.tensors(), withFormat), CodedContainer.dictionary()), data), Map.of(), Map.of()),
                "header holds the format again");
        byte[] bomb = Zlib.deflate(" ".repeat(9 << 20).getBytes(StandardCharsets.US_ASCII), CodedContainer.dictionary());
        assertRefused(withBody(bomb, Map.of(), Map.of()), "nncompress.body's header inflates to more than 8388608 bytes");
        assertRefused(withBody(new byte[0], Map.of(), Map.of()), "nncompress.body's header ends early");
    }

    /** Any one bit of the body's deflated header flipped: a clean load (deflate may decode other bytes that still parse) or a one-line error. */
    @Test
    void everyBitFlipOfTheHeaderIsSafe() throws Exception {
        Path saved = saved();
        byte[] body = SafeTensors.read(saved).tensors().get(CodedContainer.BODY).toBytes();
        SafeTensorsFile st = ModelIO.readFile(saved);
        Map<String, String> inner = new LinkedHashMap<>(st.metadata());
        inner.remove(Int8ModelIO.FORMAT_KEY);
        int z = CodedContainer.deflatedHeader(st.tensors(), inner).length;
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int refused = 0;
        for (int trial = 0; trial < 60; trial++) {
            byte[] b = body.clone();
            b[r.nextInt(z)] ^= (byte) (1 << r.nextInt(8));
            Path f = withBody(b, Map.of(), Map.of());
            try {
                ModelIO.load(f, backend);
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().startsWith(f.toString()) && !e.getMessage().contains("\n"), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 30, "a flip in a deflate stream mostly breaks it or its checksum: " + refused);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
