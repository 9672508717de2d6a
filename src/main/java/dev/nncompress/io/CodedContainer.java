package dev.nncompress.io;

import dev.nncompress.util.Quoted;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code coded/3}'s layout: the file is a safetensors file with the format as its only metadata and one U8 tensor,
 * {@value #BODY}, which holds a safetensors header and data section of its own: the inner header (every tensor's
 * entry, the graph, the provenance and the coded index) zlib-deflated with a preset dictionary, then the inner
 * tensors' bytes. On a small model the header is most of what is left once the weights are coded (LeNet-5: 2,184 of
 * 8,341 bytes in {@code coded/2}, ~700 of them the tensors' entries and 350 the base64 of the packed metadata); one
 * deflate stream over all of it, primed with the words every such header repeats, takes it to a few hundred bytes.
 *
 * <p>The dictionary ({@value #DICTIONARY}, read once) is part of the format: the zlib stream names it by its Adler-32,
 * a reader with another one refuses the file, and a test pins it (changing it means a new format name). Unpacking is
 * bounded ({@link Zlib#inflate}, at most {@link SafeTensorsHeader#MAX_HEADER_BYTES} of header) and the inner header
 * and data are then checked exactly as any safetensors file's ({@link SafeTensors#parse}: limits, names, dtypes,
 * tensors tiling the data exactly).
 */
final class CodedContainer {
    static final String BODY = "nncompress.body";
    static final String DICTIONARY = "coded-header.dict";
    private static final byte[] DICT = loadDictionary();

    private CodedContainer() {}

    /** The one tensor that holds {@code tensors} and {@code meta} (less its format); {@code meta} is replaced by {format: {@code format}}. */
    static Map<String, TensorRecord> pack(Map<String, TensorRecord> tensors, Map<String, String> meta, String format) {
        Map<String, String> inner = new LinkedHashMap<>(meta);
        inner.remove(Int8ModelIO.FORMAT_KEY);
        byte[] header = deflatedHeader(tensors, inner);
        long size = header.length;
        for (TensorRecord t : tensors.values()) size += t.byteSize();
        if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("a coded model of " + size + " bytes is too large for one body tensor");
        ByteBuffer body = ByteBuffer.allocate((int) size);
        body.put(header);
        for (TensorRecord t : tensors.values()) body.put(t.data());
        meta.clear();
        meta.put(Int8ModelIO.FORMAT_KEY, format);
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        out.put(BODY, TensorRecord.ofUnsignedBytes(body.array(), size));
        return out;
    }

    /**
     * The file inside {@code st}'s body: its tensors and metadata (with {@code st}'s format), sized as {@code st}'s
     * file for the decode limits. IllegalArgumentException or ModelFormatException (naming the file) when {@code st} is
     * not laid out as {@link #pack} writes.
     */
    static SafeTensorsFile unpack(SafeTensorsFile st) {
        String format = st.metadata().get(Int8ModelIO.FORMAT_KEY);
        for (String k : st.metadata().keySet()) {
            if (!k.equals(Int8ModelIO.FORMAT_KEY)) throw new IllegalArgumentException("metadata " + Quoted.of(k) + " outside " + BODY + " (a " + format + " header holds only the format)");
        }
        TensorRecord body = st.tensors().get(BODY);
        if (body == null || st.tensors().size() != 1) {
            throw new IllegalArgumentException("a " + format + " file holds one tensor, " + BODY + "; this one holds " + Quoted.of(st.tensors().keySet()));
        }
        if (!"U8".equals(body.dtype()) || body.shape().length != 1) {
            throw new IllegalArgumentException(BODY + " must be a 1-D U8 tensor, got " + body.dtype() + " " + java.util.Arrays.toString(body.shape()));
        }
        byte[] bytes = body.toBytes();
        Zlib.Inflated header = Zlib.inflate(bytes, bytes.length, DICT, SafeTensorsHeader.MAX_HEADER_BYTES, BODY + "'s header");
        int data = bytes.length - header.consumed();
        ByteBuffer image = ByteBuffer.allocate(8 + header.bytes().length + data).order(ByteOrder.LITTLE_ENDIAN);
        image.putLong(header.bytes().length).put(header.bytes()).put(bytes, header.consumed(), data).flip();
        SafeTensorsFile inner = SafeTensors.parse(image, st.path());
        if (inner.metadata().containsKey(Int8ModelIO.FORMAT_KEY)) throw new IllegalArgumentException(BODY + "'s header holds the format again");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Int8ModelIO.FORMAT_KEY, format);
        meta.putAll(inner.metadata());
        return new SafeTensorsFile(st.path(), st.fileBytes(), inner.tensors(), meta);
    }

    /** The inner header of {@code tensors} and {@code meta} as the body begins with it. */
    static byte[] deflatedHeader(Map<String, TensorRecord> tensors, Map<String, String> meta) {
        return Zlib.deflate(stripPadding(SafeTensors.encodeHeader(tensors, meta)), DICT);
    }

    /** The header without the writer's space padding to 8 bytes (the inner header is never mapped, so alignment buys nothing). */
    private static byte[] stripPadding(byte[] header) {
        int n = header.length;
        while (n > 0 && header[n - 1] == ' ') n--;
        return java.util.Arrays.copyOf(header, n);
    }

    static byte[] dictionary() { return DICT.clone(); }

    private static byte[] loadDictionary() {
        try (InputStream in = CodedContainer.class.getResourceAsStream(DICTIONARY)) {
            if (in == null) throw new IllegalStateException("resource " + DICTIONARY + " is missing from the build");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
