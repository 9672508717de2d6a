package dev.nncompress.train;

/** Validation helpers for config records: messages name the field and the allowed range. */
public final class Check {
    private Check() {}

    public static void positive(String field, double v) {
        if (!(v > 0) || Double.isInfinite(v)) throw new IllegalArgumentException(field + " must be > 0, got " + v);
    }

    public static void positive(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException(field + " must be >= 1, got " + v);
    }

    /** lo <= v < hi, or lo <= v <= hi when {@code inclusiveHi}. NaN is always rejected. */
    public static void range(String field, double v, double lo, double hi, boolean inclusiveHi) {
        boolean ok = v >= lo && (inclusiveHi ? v <= hi : v < hi);
        if (!ok) throw new IllegalArgumentException(field + " must be in [" + lo + ", " + hi + (inclusiveHi ? "]" : ")") + ", got " + v);
    }
}
