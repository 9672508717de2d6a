package dev.nncompress.graph;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One operation of a {@link Graph}: a unique name, the op type (see {@link OpType}), the names of the
 * nodes (or the graph input) it reads, and scalar attributes such as stride or epsilon. Parameters
 * belong to the graph and are named {@code <node>.<suffix>} (PyTorch's state-dict naming).
 *
 * <p>The attributes are checked on construction against the op's {@link Op#attributes()}: every node
 * that exists has only attributes its op knows, each in its op's range, so that the ops (and the
 * kernels behind them) can trust them.
 */
public record Node(String name, OpType op, List<String> inputs, Map<String, Double> attrs) {
    public Node {
        if (name == null || name.isBlank() || name.contains(".")) {
            throw new IllegalArgumentException("node name must be non-empty without '.', got '" + name + "'");
        }
        if (op == null) throw new IllegalArgumentException("node " + name + " has no op");
        inputs = List.copyOf(inputs);
        attrs = new TreeMap<>(attrs); // sorted so that files are written deterministically
        AttrSpec.checkAll(name, op, attrs, Ops.of(op).attributes());
        attrs = java.util.Collections.unmodifiableMap(attrs);
    }

    /** An integer attribute; exact, since the constructor accepted only integers in int range for it. */
    public int intAttr(String key) {
        Double v = attrs.get(key);
        if (v == null) throw new IllegalStateException("node " + name + " (" + op + ") has no attribute '" + key + "'");
        if (v != Math.rint(v) || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalStateException("node " + name + " (" + op + "): attribute " + key + " = " + v + " is not an int");
        }
        return (int) (double) v;
    }

    public double attr(String key, double fallback) { return attrs.getOrDefault(key, fallback); }

    public boolean flag(String key) { return attrs.getOrDefault(key, 0.0) != 0.0; }

    public String paramName(String suffix) { return name + "." + suffix; }
}
