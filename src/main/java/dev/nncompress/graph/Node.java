package dev.nncompress.graph;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One operation of a {@link Graph}: a unique name, the op type (see {@link OpType}), the names of the
 * nodes (or the graph input) it reads, and scalar attributes such as stride or epsilon. Parameters
 * belong to the graph and are named {@code <node>.<suffix>} (PyTorch's state-dict naming).
 */
public record Node(String name, OpType op, List<String> inputs, Map<String, Double> attrs) {
    public Node {
        if (name == null || name.isBlank() || name.contains(".")) {
            throw new IllegalArgumentException("node name must be non-empty without '.', got '" + name + "'");
        }
        inputs = List.copyOf(inputs);
        attrs = new TreeMap<>(attrs); // sorted so that files are written deterministically
        attrs = java.util.Collections.unmodifiableMap(attrs);
    }

    public int intAttr(String key) {
        Double v = attrs.get(key);
        if (v == null) throw new IllegalStateException("node " + name + " (" + op + ") has no attribute '" + key + "'");
        return (int) Math.round(v);
    }

    public double attr(String key, double fallback) { return attrs.getOrDefault(key, fallback); }

    public boolean flag(String key) { return attrs.getOrDefault(key, 0.0) != 0.0; }

    public String paramName(String suffix) { return name + "." + suffix; }
}
