package dev.nncompress.graph;

import java.util.List;
import java.util.Map;

/**
 * One attribute an op reads, with the values it accepts: an integer in {@code [min, max]} (strides,
 * paddings, kernel sizes, 0/1 flags) or a finite real in a range whose ends may be open (epsilon,
 * momentum, dropout probability). Each {@link Op} lists its own ({@link Op#attributes()}) and
 * {@link Node}'s constructor checks every node against that list, so that no node, whether read from a
 * model file or built in code, reaches an op with an attribute the op would misread: a NaN read as 0, a
 * 1e20 rounded to -1, a stride of 0, a padding that overflows the geometry, or an attribute the op
 * does not know at all (a typo would otherwise be silently ignored).
 *
 * @param integer      whether the value must be integral ({@link Node#intAttr} then reads it exactly)
 * @param defaultValue the value an op assumes when the attribute is absent, or null when it is required
 */
public record AttrSpec(String name, boolean integer, double min, boolean minOpen, double max, boolean maxOpen, Double defaultValue) {
    /** Upper bound of strides, paddings and kernel sizes: far above any real layer, far below int overflow. */
    public static final int MAX_WINDOW = 1024;

    public AttrSpec {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("attribute name must be non-empty");
        if (!(min <= max)) throw new IllegalArgumentException("attribute " + name + ": empty range [" + min + ", " + max + "]");
        if (integer && (minOpen || maxOpen || min < Integer.MIN_VALUE || max > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("attribute " + name + ": an integer range is closed and inside int");
        }
    }

    /** A required integer in [min, max]. */
    public static AttrSpec integer(String name, int min, int max) { return new AttrSpec(name, true, min, false, max, false, null); }

    /** An optional 0/1 flag, 0 when absent. */
    public static AttrSpec flag(String name) { return new AttrSpec(name, true, 0, false, 1, false, 0.0); }

    /** An optional finite real in the given range, {@code defaultValue} when absent. */
    public static AttrSpec real(String name, double min, boolean minOpen, double max, boolean maxOpen, double defaultValue) {
        return new AttrSpec(name, false, min, minOpen, max, maxOpen, defaultValue);
    }

    /** True when {@code v} is an accepted value. */
    public boolean accepts(double v) {
        if (!Double.isFinite(v)) return false;
        if (integer && v != Math.rint(v)) return false;
        boolean aboveMin = minOpen ? v > min : v >= min;
        boolean belowMax = maxOpen ? v < max : v <= max;
        return aboveMin && belowMax;
    }

    /** The accepted values in words, e.g. "an integer in [1, 1024]" or "a number in (0, 1]". */
    public String range() {
        return (integer ? "an integer in " : "a number in ") + (minOpen ? "(" : "[") + format(min) + ", " + format(max) + (maxOpen ? ")" : "]");
    }

    /**
     * Checks the attributes of node {@code node} of type {@code op} against {@code specs}: each known
     * one present (unless optional) with an accepted value, no other. Messages name the node, the
     * attribute, the value and the accepted range.
     */
    static void checkAll(String node, OpType op, Map<String, Double> attrs, List<AttrSpec> specs) {
        String where = "node " + node + " (" + op + ")";
        for (var e : attrs.entrySet()) {
            AttrSpec s = specs.stream().filter(a -> a.name().equals(e.getKey())).findFirst().orElse(null);
            if (s == null) {
                throw new IllegalArgumentException(where + ": unknown attribute '" + e.getKey() + "'; " + op + " takes "
                        + (specs.isEmpty() ? "none" : String.join(", ", specs.stream().map(AttrSpec::name).toList())));
            }
            double v = e.getValue() == null ? Double.NaN : e.getValue();
            if (!s.accepts(v)) {
                throw new IllegalArgumentException(where + ": attribute " + s.name() + " = " + format(v) + " is not " + s.range());
            }
        }
        for (AttrSpec s : specs) {
            if (s.defaultValue() == null && !attrs.containsKey(s.name())) {
                throw new IllegalArgumentException(where + ": lacks attribute " + s.name() + " (" + s.range() + ")");
            }
        }
    }

    /** Integral values as integers (2147483647, not 2.147483647E9), others as Java prints them (NaN, 2.5, 1.0E300). */
    static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }
}
