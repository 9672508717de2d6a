package dev.nncompress.pipeline;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One mapping of a recipe, read key by key with its type and range checked: the one place where a value from the
 * (untrusted) recipe file becomes a Java value. Every error names the file and the key path; {@link #done} refuses the
 * keys no reader asked for, so that a typo is an error, not a silently ignored setting.
 */
final class RecipeObject {
    private final String file;
    private final String path;
    private final JsonNode node;
    private final Set<String> read = new LinkedHashSet<>();

    RecipeObject(String file, String path, JsonNode node) {
        this.file = file;
        this.path = path;
        this.node = node;
        if (node == null || !node.isObject()) throw error(path, "must be a mapping (key: value), got " + kind(node));
    }

    String path() { return path; }

    /** The keys of this mapping, in file order (for mappings whose keys are names, such as a stage's {@code layer_bits}). */
    java.util.List<String> keys() {
        java.util.List<String> keys = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    String file() { return file; }

    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /** The key path of {@code key} in this mapping, e.g. {@code stages[2].sparsity}. */
    String at(String key) { return path.isEmpty() ? key : path + "." + key; }

    RecipeException error(String keyPath, String message) { return new RecipeException(file + ": " + keyPath + ": " + message); }

    RecipeException errorAt(String key, String message) { return error(at(key), message); }

    private JsonNode get(String key) {
        read.add(key);
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? null : v;
    }

    String string(String key, String dflt) {
        JsonNode v = get(key);
        if (v == null) return dflt;
        if (!v.isTextual() && !v.isNumber()) throw errorAt(key, "must be a string, got " + kind(v));
        String s = v.asText();
        if (s.isBlank()) throw errorAt(key, "must not be empty");
        if (s.length() > 4096) throw errorAt(key, "is longer than 4096 characters");
        return s;
    }

    String requiredString(String key) {
        String s = string(key, null);
        if (s == null) throw errorAt(key, "is required");
        return s;
    }

    /** One of {@code choices}, or {@code dflt} when absent. */
    String choice(String key, String dflt, List<String> choices) {
        String s = string(key, dflt);
        if (s != null && !choices.contains(s)) throw errorAt(key, "must be one of " + String.join(", ", choices) + ", got '" + s + "'");
        return s;
    }

    /** One of the constants of {@code type} by name, or {@code dflt} (may be null) when absent. */
    <E extends Enum<E>> E choice(String key, E dflt, Class<E> type) {
        List<String> names = java.util.Arrays.stream(type.getEnumConstants()).map(Enum::name).toList();
        String s = choice(key, null, names);
        return s == null ? dflt : Enum.valueOf(type, s);
    }

    /** An integer of any int value (a request validates its range), or {@code dflt} when absent. */
    Integer anyInt(String key, Integer dflt) { return integer(key, dflt, Integer.MIN_VALUE, Integer.MAX_VALUE); }

    /** A finite number of any value (a request validates its range), or {@code dflt} when absent. */
    Double anyNumber(String key, Double dflt) { return number(key, dflt, -Double.MAX_VALUE, Double.MAX_VALUE, true); }

    boolean bool(String key, boolean dflt) {
        JsonNode v = get(key);
        if (v == null) return dflt;
        if (!v.isBoolean()) throw errorAt(key, "must be true or false, got " + kind(v));
        return v.booleanValue();
    }

    /** An integer in [min, max], or {@code dflt} (may be null) when absent. */
    Integer integer(String key, Integer dflt, long min, long max) {
        JsonNode v = get(key);
        if (v == null) return dflt;
        if (!v.isIntegralNumber()) throw errorAt(key, "must be an integer, got " + kind(v));
        if (!v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw errorAt(key, "must be in [" + min + ", " + max + "], got " + v.asText());
        }
        return (int) v.longValue();
    }

    Long longValue(String key, long dflt) {
        JsonNode v = get(key);
        if (v == null) return dflt;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw errorAt(key, "must be an integer (64-bit), got " + kind(v));
        return v.longValue();
    }

    /** A number in [lo, hi] or [lo, hi) ({@code hiInclusive} false), or {@code dflt} (may be null) when absent. */
    Double number(String key, Double dflt, double lo, double hi, boolean hiInclusive) {
        JsonNode v = get(key);
        if (v == null) return dflt;
        return checkNumber(at(key), v, lo, hi, hiInclusive);
    }

    /** A number > 0 (and finite), or {@code dflt}. */
    Double positive(String key, Double dflt) {
        JsonNode v = get(key);
        if (v == null) return dflt;
        double d = checkNumber(at(key), v, 0, Double.MAX_VALUE, true);
        if (!(d > 0)) throw errorAt(key, "must be > 0, got " + fmt(d));
        return d;
    }

    private double checkNumber(String keyPath, JsonNode v, double lo, double hi, boolean hiInclusive) {
        if (!v.isNumber()) throw error(keyPath, "must be a number, got " + kind(v));
        double d = v.doubleValue();
        boolean ok = d >= lo && (hiInclusive ? d <= hi : d < hi) && Double.isFinite(d);
        if (!ok) throw error(keyPath, "must be in [" + fmt(lo) + ", " + fmt(hi) + (hiInclusive ? "]" : ")") + ", got " + v.asText());
        return d;
    }

    /** A list of strings (a single string is a list of one), or an empty list when absent. */
    List<String> strings(String key) {
        JsonNode v = get(key);
        List<String> out = new ArrayList<>();
        if (v == null) return out;
        if (v.isTextual()) return List.of(v.asText());
        if (!v.isArray()) throw errorAt(key, "must be a list of strings, got " + kind(v));
        if (v.size() > 10_000) throw errorAt(key, "has more than 10000 entries");
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual() || e.asText().isBlank()) throw error(at(key) + "[" + i + "]", "must be a non-empty string, got " + kind(e));
            out.add(e.asText());
        }
        return out;
    }

    /** A list of finite numbers (a single number is a list of one), or null when absent. */
    List<Double> numbers(String key) {
        JsonNode v = get(key);
        if (v == null) return null;
        if (v.isNumber()) return List.of(checkNumber(at(key), v, -Double.MAX_VALUE, Double.MAX_VALUE, true));
        if (!v.isArray() || v.size() > 64) throw errorAt(key, "must be a list of at most 64 numbers, got " + kind(v));
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) out.add(checkNumber(at(key) + "[" + i + "]", v.get(i), -Double.MAX_VALUE, Double.MAX_VALUE, true));
        return out;
    }

    /** A nested mapping, or null when absent. */
    RecipeObject object(String key) {
        JsonNode v = get(key);
        return v == null ? null : new RecipeObject(file, at(key), v);
    }

    /** The raw list under {@code key} (checked to be a list), or null when absent. */
    JsonNode list(String key) {
        JsonNode v = get(key);
        if (v == null) return null;
        if (!v.isArray()) throw errorAt(key, "must be a list, got " + kind(v));
        return v;
    }

    /** Refuses every key that no reader asked for, naming the ones that are known here. */
    void done() {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!read.contains(k)) {
                throw error(at(k), "unknown key" + (read.isEmpty() ? "" : "; known here: " + String.join(", ", read)));
            }
        }
    }

    static String kind(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) return "nothing";
        if (v.isObject()) return "a mapping";
        if (v.isArray()) return "a list";
        if (v.isBoolean()) return "a boolean (" + v.asText() + ")";
        if (v.isNumber()) return "a number (" + v.asText() + ")";
        String s = v.asText();
        return "a string ('" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "')";
    }

    static String fmt(double d) {
        if (d == Double.MAX_VALUE) return "inf";
        if (d == -Double.MAX_VALUE) return "-inf";
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        return String.format(Locale.ROOT, "%s", d);
    }
}
