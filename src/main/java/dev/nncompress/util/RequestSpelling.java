package dev.nncompress.util;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How one front end names the fields of a request ({@code PruneRequest}, {@code QuantizeRequest}, ...): the CLI by its
 * options ({@code --schedule}), a recipe by its keys ({@code schedule}). A request's validation is written once and
 * speaks through this, so that the command and the recipe stage apply the same rules and each error names the
 * field as the user wrote it.
 *
 * @param <F> the request's field enum; a field's recipe key is its constant's name in lower case ({@link #key})
 */
public interface RequestSpelling<F extends Enum<F>> {
    /** The user's name of {@code field}: {@code --schedule} or {@code schedule}. */
    String name(F field);

    /**
     * {@code field} set to {@code value} as the user writes it: {@code --schedule cubic} or {@code schedule: cubic};
     * a boolean set to "true" is the bare flag on the command line ({@code --structured}).
     */
    String set(F field, String value);

    /** The error for {@code field}, {@code rest} following its name: "--ramp must be ..." or "stages[1].ramp: must be ...". */
    RuntimeException error(F field, String rest);

    /** The error for {@code field} whose value a parser refused with {@code detail}: "--nm: ..." or "stages[1].nm: ...". */
    RuntimeException invalid(F field, String detail);

    /** The recipe key (and provenance key) of a field constant: {@code LINEAR_SPARSITY} -> {@code linear_sparsity}. */
    static String key(Enum<?> field) { return field.name().toLowerCase(Locale.ROOT); }

    /** The camelCase of {@link #key}: the name of the command's Java field bound to the option ({@code linearSparsity}). */
    static String camel(Enum<?> field) {
        String[] parts = key(field).split("_");
        StringBuilder b = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) b.append(Character.toUpperCase(parts[i].charAt(0))).append(parts[i].substring(1));
        return b.toString();
    }

    /**
     * The value of {@code field} in {@code request} (the record component named {@link #camel}), for settings
     * maps and for tests that check every field against the front ends.
     */
    static Object value(Record request, Enum<?> field) {
        for (RecordComponent c : request.getClass().getRecordComponents()) {
            if (!c.getName().equals(camel(field))) continue;
            try {
                return c.getAccessor().invoke(request);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(c.getName() + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalStateException(request.getClass().getSimpleName() + " has no component " + camel(field) + " for " + field);
    }

    /** The request's given settings by recipe key (null and empty-list fields left out; enums by name), in field order. */
    static <F extends Enum<F>> Map<String, Object> settings(Record request, Class<F> fields) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (F f : fields.getEnumConstants()) {
            Object v = value(request, f);
            if (v == null || v instanceof List<?> l && l.isEmpty()) continue;
            m.put(key(f), v instanceof Enum<?> e ? e.name() : v);
        }
        return m;
    }

    default void positive(F field, int v) {
        if (v <= 0) throw error(field, "must be >= 1, got " + v);
    }

    default void nonNegative(F field, int v) {
        if (v < 0) throw error(field, "must be >= 0, got " + v);
    }

    default void positive(F field, double v) {
        if (!(v > 0) || Double.isInfinite(v)) throw error(field, "must be > 0, got " + v);
    }

    /** lo <= v < hi, or lo <= v <= hi when {@code inclusiveHi}; NaN is refused. */
    default void range(F field, double v, double lo, double hi, boolean inclusiveHi) {
        boolean ok = v >= lo && (inclusiveHi ? v <= hi : v < hi);
        if (!ok) throw error(field, "must be in [" + lo + ", " + hi + (inclusiveHi ? "]" : ")") + ", got " + v);
    }
}
