package dev.nncompress.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.util.Quoted;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The metadata values that hold a flat JSON object of strings ({@value ModelIO#PROVENANCE_KEY},
 * {@value Int8ModelIO#INFO_KEY}): written sorted, read strictly (strings only, at most
 * {@link #MAX_ENTRIES} keys of at most {@link SafeTensorsHeader#MAX_NAME_CHARS} characters), one parser
 * for both.
 */
final class StringMapJson {
    /** We write about a dozen provenance keys and a handful of int8 ones. */
    static final int MAX_ENTRIES = 256;
    private static final JsonMapper JSON = new JsonMapper();

    private StringMapJson() {}

    static String write(Map<String, String> map) {
        try {
            return JSON.writeValueAsString(new TreeMap<>(map));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The JSON object in metadata value {@code json} of metadata {@code key} (the string maps here, and the sparse and
     * coded formats' indexes); IllegalArgumentException naming the key when it is not JSON or not an object
     * ({@code whatObject} says what object it must be).
     */
    static JsonNode object(String key, String json, String whatObject) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(key + " metadata is not valid JSON: " + Quoted.escape(e.getOriginalMessage(), 300), e);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(key + " metadata must be " + whatObject);
        return root;
    }

    /** The map in {@code json} (empty for null); IllegalArgumentException naming metadata {@code key} otherwise. */
    static Map<String, String> read(String key, String json) {
        Map<String, String> out = new LinkedHashMap<>();
        if (json == null) return out;
        JsonNode root = object(key, json, "a JSON object of strings");
        if (root.size() > MAX_ENTRIES) throw new IllegalArgumentException(key + " metadata has " + root.size() + " entries, more than " + MAX_ENTRIES);
        for (var e : root.properties()) {
            if (e.getKey().length() > SafeTensorsHeader.MAX_NAME_CHARS) {
                throw new IllegalArgumentException(key + " metadata key " + Quoted.of(e.getKey()) + " is longer than "
                        + SafeTensorsHeader.MAX_NAME_CHARS + " characters");
            }
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException(key + " metadata value of " + Quoted.of(e.getKey()) + " must be a string, got "
                        + Quoted.of(e.getValue()));
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }
}
