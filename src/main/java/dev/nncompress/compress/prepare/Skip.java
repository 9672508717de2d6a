package dev.nncompress.compress.prepare;

/** A node a pass looked at and left as it was, and why. */
public record Skip(String node, String reason) {
    @Override
    public String toString() { return node + ": " + reason; }
}
