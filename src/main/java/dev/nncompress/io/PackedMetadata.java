package dev.nncompress.io;

import dev.nncompress.util.Quoted;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A coded file's metadata in one value ({@code coded/2}): every entry but the format (graph, provenance, the coded
 * index) as one JSON object, zlib-deflated and base64-encoded under {@value #KEY}. The header of a small model is
 * most of its file once its weights are coded (LeNet-5: 3,034 bytes of metadata JSON of an 11,922-byte file);
 * deflate takes it to about a third (1,332 bytes with base64). The file stays a safetensors file; what it gives up
 * is the graph and provenance readable in its raw header ({@code nncompress info} shows both).
 *
 * <p>Unpacking is bounded: at most {@link #MAX_INFLATED_BYTES} inflated (the header's own limit), the zlib checksum
 * must hold, the stream must end exactly, and the result is read as {@link StringMapJson} reads a string map (at most
 * {@link SafeTensorsHeader#MAX_METADATA_ENTRIES} entries, none the format or this key).
 */
final class PackedMetadata {
    static final String KEY = "nncompress.packed";
    static final long MAX_INFLATED_BYTES = SafeTensorsHeader.MAX_HEADER_BYTES;

    private PackedMetadata() {}

    /** {@code meta} as {format: {@code format}, {@value #KEY}: the rest packed}. */
    static Map<String, String> pack(Map<String, String> meta, String format) {
        Map<String, String> rest = new LinkedHashMap<>(meta);
        rest.remove(Int8ModelIO.FORMAT_KEY);
        byte[] deflated = Zlib.deflate(StringMapJson.write(rest).getBytes(StandardCharsets.UTF_8), null);
        Map<String, String> packed = new LinkedHashMap<>();
        packed.put(Int8ModelIO.FORMAT_KEY, format);
        packed.put(KEY, Base64.getEncoder().encodeToString(deflated));
        return packed;
    }

    /** The metadata packed in {@code meta} (which must hold only the format and {@value #KEY}), with the format; IllegalArgumentException otherwise. */
    static Map<String, String> unpack(Map<String, String> meta) {
        for (String k : meta.keySet()) {
            if (!k.equals(KEY) && !k.equals(Int8ModelIO.FORMAT_KEY)) throw new IllegalArgumentException("metadata " + Quoted.of(k) + " outside " + KEY + " (a packed header holds only the format and " + KEY + ")");
        }
        String b64 = meta.get(KEY);
        if (b64 == null) throw new IllegalArgumentException("format " + meta.get(Int8ModelIO.FORMAT_KEY) + " without its " + KEY + " metadata");
        byte[] deflated;
        try {
            deflated = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(KEY + " metadata is not base64: " + e.getMessage(), e);
        }
        String json = new String(inflate(deflated), StandardCharsets.UTF_8);
        Map<String, String> inner = StringMapJson.read(KEY, json);
        if (inner.size() > SafeTensorsHeader.MAX_METADATA_ENTRIES) throw new IllegalArgumentException(KEY + " holds " + inner.size() + " entries, more than " + SafeTensorsHeader.MAX_METADATA_ENTRIES);
        if (inner.containsKey(KEY) || inner.containsKey(Int8ModelIO.FORMAT_KEY)) throw new IllegalArgumentException(KEY + " holds " + KEY + " or the format again");
        Map<String, String> out = new LinkedHashMap<>();
        out.put(Int8ModelIO.FORMAT_KEY, meta.get(Int8ModelIO.FORMAT_KEY));
        out.putAll(inner);
        return out;
    }

    private static byte[] inflate(byte[] deflated) {
        Zlib.Inflated in = Zlib.inflate(deflated, deflated.length, null, MAX_INFLATED_BYTES, KEY + " metadata");
        if (in.consumed() != deflated.length) throw new IllegalArgumentException(KEY + " metadata has " + (deflated.length - in.consumed()) + " bytes after its deflate stream");
        return in.bytes();
    }
}
