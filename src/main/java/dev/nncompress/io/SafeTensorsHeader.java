package dev.nncompress.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.nncompress.util.Quoted;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors JSON header, parsed in one streaming pass (no tree: memory is what is kept, and every
 * count is checked as it grows, so a header of a million tiny entries is refused at the first one over
 * the limit, not after a million have been built). The limits, and why:
 * <ul>
 *   <li>{@link #MAX_HEADER_BYTES} 8 MiB. Our headers are a few KB (a ResNet-8 file: 9.3 KB, of which 3.6
 *       KB graph and 1 KB provenance); 8 MiB is ~900x that and still holds {@link #MAX_TENSORS} entries
 *       with long names. The reference implementation allows 100 MB; parsed as a tree (as this reader
 *       did), an 11.7 MB header of 200,000 entries took 329 MB of heap before any entry was checked.</li>
 *   <li>{@link #MAX_TENSORS} 16,384: a ResNet-152 state dict has ~930 tensors, our models under 100.</li>
 *   <li>{@link #MAX_METADATA_ENTRIES} 64: we write at most 5 keys, other tools 1 to 3.</li>
 *   <li>{@link #MAX_NAME_CHARS} 512 for tensor names and metadata keys (PyTorch state-dict names are under
 *       100); metadata values may be as long as the header (the graph JSON is one of them).</li>
 *   <li>{@link #MAX_RANK} 32, numpy's classic NPY_MAXDIMS; our tensors have rank 1 to 4.</li>
 * </ul>
 */
final class SafeTensorsHeader {
    static final String METADATA_KEY = "__metadata__";
    static final long MAX_HEADER_BYTES = 8L << 20;
    static final int MAX_TENSORS = 16_384;
    static final int MAX_METADATA_ENTRIES = 64;
    static final int MAX_NAME_CHARS = 512;
    static final int MAX_RANK = 32;

    // Jackson's own limits as a backstop below ours: nothing in a valid header nests deeper than 3 or has
    // a number longer than 20 digits (u64).
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(16)
                    .maxNumberLength(64)
                    .maxStringLength((int) MAX_HEADER_BYTES)
                    .build())
            .build();

    private SafeTensorsHeader() {}

    /** One tensor entry: offsets are relative to the data section. */
    record Entry(String name, String dtype, long[] shape, long begin, long end) {}

    /** Entries in header order and the {@code __metadata__} strings (empty if absent). */
    record Parsed(List<Entry> entries, Map<String, String> metadata) {}

    /** Parses and checks the header; {@code dataLen} is the size of the data section after it. */
    static Parsed parse(byte[] header, Path source, long dataLen) {
        try (JsonParser p = FACTORY.createParser(header)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                throw new ModelFormatException(source + ": header must be a JSON object, got "
                        + (t == null ? "nothing" : what(t)));
            }
            List<Entry> entries = new ArrayList<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals(METADATA_KEY)) {
                    readMetadata(p, source, metadata);
                    continue;
                }
                if (entries.size() == MAX_TENSORS) {
                    throw new ModelFormatException(source + ": header lists more than " + MAX_TENSORS
                            + " tensors, the limit of this reader");
                }
                entries.add(readEntry(p, source, name, dataLen));
            }
            if (p.nextToken() != null) {
                throw new ModelFormatException(source + ": header is not valid JSON: content after the top-level object");
            }
            return new Parsed(entries, metadata);
        } catch (StreamConstraintsException e) {
            throw new ModelFormatException(source + ": header exceeds a limit of this reader: "
                    + Quoted.escape(e.getOriginalMessage(), 300), e);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(source + ": header is not valid JSON: "
                    + Quoted.escape(e.getOriginalMessage(), 300), e);
        } catch (IOException e) {
            throw new ModelFormatException(source + ": header is not valid JSON: " + Quoted.escape(e.toString(), 300), e);
        }
    }

    private static Entry readEntry(JsonParser p, Path source, String name, long dataLen) throws IOException {
        String where = source + ": tensor " + Quoted.of(name);
        if (name.length() > MAX_NAME_CHARS) throw new ModelFormatException(where + ": name longer than " + MAX_NAME_CHARS + " characters");
        if (p.currentToken() != JsonToken.START_OBJECT) throw new ModelFormatException(where + ": entry must be a JSON object");
        String dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            switch (key) {
                case "dtype" -> {
                    if (v != JsonToken.VALUE_STRING) throw new ModelFormatException(where + ": missing or non-string \"dtype\"");
                    dtype = p.getText();
                }
                case "shape" -> shape = longArray(p, where, key, -1);
                case "data_offsets" -> offsets = longArray(p, where, key, 2);
                default -> p.skipChildren(); // the reference reader ignores unknown fields too
            }
        }
        if (dtype == null) throw new ModelFormatException(where + ": missing or non-string \"dtype\"");
        if (shape == null) throw new ModelFormatException(where + ": missing \"shape\"");
        if (offsets == null) throw new ModelFormatException(where + ": missing \"data_offsets\"");
        Integer elementSize = TensorRecord.DTYPE_SIZES.get(dtype);
        if (elementSize == null) {
            throw new ModelFormatException(where + ": unknown dtype " + Quoted.of(dtype) + "; known: " + TensorRecord.DTYPE_SIZES.keySet());
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataLen) {
            throw new ModelFormatException(where + ": data_offsets " + Arrays.toString(offsets)
                    + " out of bounds of the " + dataLen + "-byte data section");
        }
        long expected;
        try {
            expected = Math.multiplyExact(TensorRecord.numElements(shape), elementSize);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + ": shape " + Arrays.toString(shape) + " is too large", e);
        }
        if (expected != end - begin) {
            throw new ModelFormatException(where + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs " + expected
                    + " bytes but data_offsets " + Arrays.toString(offsets) + " span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Array of non-negative integers (at most {@link #MAX_RANK}); {@code length} -1 means any length. */
    private static long[] longArray(JsonParser p, String where, String key, int length) throws IOException {
        String want = "\"" + key + "\" must be an array of " + (length >= 0 ? length + " integers" : "at most " + MAX_RANK + " integers");
        if (p.currentToken() != JsonToken.START_ARRAY) throw new ModelFormatException(where + ": " + want + ", got " + what(p));
        long[] out = new long[4];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0) {
                throw new ModelFormatException(where + ": \"" + key + "\" must hold non-negative integers, got " + what(p));
            }
            if (n == MAX_RANK || (length >= 0 && n == length)) throw new ModelFormatException(where + ": " + want + ", got more");
            if (n == out.length) out = Arrays.copyOf(out, 2 * n);
            out[n++] = p.getLongValue();
        }
        if (length >= 0 && n != length) throw new ModelFormatException(where + ": " + want + ", got " + n);
        return Arrays.copyOf(out, n);
    }

    private static void readMetadata(JsonParser p, Path source, Map<String, String> out) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new ModelFormatException(source + ": \"" + METADATA_KEY + "\" must be a JSON object of strings, got " + what(p));
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            if (key.length() > MAX_NAME_CHARS) {
                throw new ModelFormatException(source + ": metadata key " + Quoted.of(key) + " is longer than " + MAX_NAME_CHARS + " characters");
            }
            if (v != JsonToken.VALUE_STRING) {
                throw new ModelFormatException(source + ": metadata value for " + Quoted.of(key) + " must be a string, got " + what(p));
            }
            if (out.size() == MAX_METADATA_ENTRIES) {
                throw new ModelFormatException(source + ": \"" + METADATA_KEY + "\" has more than " + MAX_METADATA_ENTRIES
                        + " entries, the limit of this reader");
            }
            out.put(key, p.getText());
        }
    }

    /** The current token for an error message: a scalar's text (quoted), else its kind. */
    private static String what(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        return t != null && t.isScalarValue() ? Quoted.of(p.getText()) : what(t);
    }

    private static String what(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            default -> t.toString();
        };
    }
}
