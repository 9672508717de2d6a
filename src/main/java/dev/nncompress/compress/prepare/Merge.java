package dev.nncompress.compress.prepare;

/** Node {@code removed} was absorbed into node {@code kept}; readers of {@code removed} now read {@code kept}. */
public record Merge(String kept, String removed) {
    @Override
    public String toString() { return removed + " -> " + kept; }
}
