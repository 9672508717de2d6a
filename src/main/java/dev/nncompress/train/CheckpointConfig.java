package dev.nncompress.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The configuration a checkpoint belongs to: every setting that changes a run's result (command, model and
 * teacher by content hash, data, epochs, optimiser, schedule, seed, batch size, sparsity, ...), never where the
 * checkpoints go. Canonical form: keys sorted, values as strings, compact JSON; its SHA-256 is what a resume
 * compares, and the entries themselves let a refusal name the keys that differ.
 */
public record CheckpointConfig(SortedMap<String, String> entries) {
    private static final JsonMapper JSON = new JsonMapper();
    private static final int MAX_LISTED = 10;

    public CheckpointConfig {
        for (var e : entries.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) throw new IllegalArgumentException("checkpoint configuration entries must not be null: " + e);
        }
        entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
    }

    public static CheckpointConfig of(Map<String, String> entries) { return new CheckpointConfig(new TreeMap<>(entries)); }

    /** Compact JSON with sorted keys: the bytes that are hashed. */
    public String json() {
        try {
            return JSON.writeValueAsString(entries);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("checkpoint configuration cannot be written as JSON", e);
        }
    }

    /** SHA-256 of {@link #json()} in hex. */
    public String sha256() { return sha256(json()); }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e); // every JDK must provide it
        }
    }

    /**
     * "KEY: CHECKPOINT -> NOW" for every key that differs from {@code now}, in key order (absent values shown as
     * such); at most {@value #MAX_LISTED}, then "and N more keys".
     */
    public List<String> differences(CheckpointConfig now) {
        List<String> out = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(entries.keySet());
        keys.addAll(now.entries.keySet());
        int more = 0;
        for (String k : keys) {
            String was = entries.get(k);
            String is = now.entries.get(k);
            if (was != null && was.equals(is)) continue;
            if (out.size() < MAX_LISTED) out.add(show(k) + ": " + show(was) + " -> " + show(is));
            else more++;
        }
        if (more > 0) out.add("and " + more + " more keys");
        return out;
    }

    /** A key or value for a one-line message: truncated, control characters escaped (it may come from a file). */
    private static String show(String v) {
        if (v == null) return "(absent)";
        String t = v.length() > 60 ? v.substring(0, 57) + "..." : v;
        StringBuilder sb = new StringBuilder();
        for (char c : t.toCharArray()) {
            if (c < 0x20 || c == 0x7f) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }
}
