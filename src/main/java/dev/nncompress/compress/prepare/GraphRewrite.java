package dev.nncompress.compress.prepare;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a new graph from a source graph plus a set of edits: nodes merged into their producer
 * (removed, readers rewired), attributes set, parameters replaced or added. Every parameter of the
 * result is a fresh copy, so training, pruning or closing the new graph can never reach the source.
 */
final class GraphRewrite {
    private final Graph source;
    private final Map<String, Node> byName = new HashMap<>();
    private final Map<String, Integer> uses = new HashMap<>();
    private final Map<String, String> removedInto = new LinkedHashMap<>();
    private final Map<String, Map<String, Double>> attrEdits = new HashMap<>();
    private final Map<String, float[]> paramEdits = new HashMap<>();
    private final Map<String, Added> added = new LinkedHashMap<>();

    private record Added(float[] values, Shape shape, Backend backend) {}

    GraphRewrite(Graph source) {
        this.source = source;
        for (Node n : source.nodes()) {
            byName.put(n.name(), n);
            for (String in : n.inputs()) uses.merge(in, 1, Integer::sum);
        }
        uses.merge(source.output(), 1, Integer::sum); // being the graph output is a use the rewrite must keep
    }

    Graph source() { return source; }

    /** The node that produces {@code name}, or null for the graph input. */
    Node producer(String name) { return Graph.INPUT.equals(name) ? null : byName.get(name); }

    /** How often the value is read: once per reading input slot, plus once if it is the graph output. */
    int uses(String name) { return uses.getOrDefault(name, 0); }

    boolean isOutput(String name) { return source.output().equals(name); }

    void merge(Merge m) {
        if (removedInto.containsKey(m.kept()) || removedInto.containsKey(m.removed()) || removedInto.containsValue(m.removed())) {
            throw new IllegalStateException("overlapping merges around " + m); // a pass bug, not a user error
        }
        removedInto.put(m.removed(), m.kept());
    }

    void setAttr(String node, String key, double value) { attrEdits.computeIfAbsent(node, k -> new HashMap<>()).put(key, value); }

    /** Replaces the values of an existing parameter, keeping its shape, backend and trainability. */
    void replaceParam(String name, float[] values) {
        Parameter old = source.param(name);
        if (old.value().numel() != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values replace " + old.value().shape());
        }
        paramEdits.put(name, values);
    }

    /** Adds a trainable parameter on {@code backend}. */
    void addParam(String name, float[] values, Shape shape, Backend backend) {
        if (source.params().containsKey(name)) throw new IllegalArgumentException("parameter " + name + " already exists");
        if (shape.numel() != values.length) throw new IllegalArgumentException(name + ": " + values.length + " values for " + shape);
        added.put(name, new Added(values, shape, backend));
    }

    Graph build() {
        List<Node> nodes = new ArrayList<>();
        for (Node n : source.nodes()) {
            if (removedInto.containsKey(n.name())) continue;
            Map<String, Double> attrs = new HashMap<>(n.attrs());
            attrs.putAll(attrEdits.getOrDefault(n.name(), Map.of()));
            nodes.add(new Node(n.name(), n.op(), n.inputs().stream().map(this::resolve).toList(), attrs));
        }
        return new Graph(source.name(), source.inputShape(), nodes, resolve(source.output()), buildParams());
    }

    private String resolve(String name) {
        String r = name;
        while (removedInto.containsKey(r)) r = removedInto.get(r);
        return r;
    }

    /** Source order, removed nodes' parameters dropped, an added parameter right after its node's others. */
    private Map<String, Parameter> buildParams() {
        List<Parameter> kept = new ArrayList<>();
        for (Parameter p : source.params().values()) if (!removedInto.containsKey(owner(p.name()))) kept.add(p);
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (int i = 0; i < kept.size(); i++) {
            Parameter p = kept.get(i);
            out.put(p.name(), copy(p, paramEdits.get(p.name())));
            boolean lastOfOwner = i + 1 == kept.size() || !owner(kept.get(i + 1).name()).equals(owner(p.name()));
            if (lastOfOwner) addNew(out, owner(p.name()));
        }
        addNew(out, null); // parameters of nodes that had none
        return out;
    }

    private void addNew(Map<String, Parameter> out, String ownerOrNull) {
        for (var e : added.entrySet()) {
            if (out.containsKey(e.getKey()) || (ownerOrNull != null && !owner(e.getKey()).equals(ownerOrNull))) continue;
            Added a = e.getValue();
            out.put(e.getKey(), new Parameter(e.getKey(), a.backend().fromFloats(a.values(), a.shape()), true));
        }
    }

    private static Parameter copy(Parameter p, float[] newValues) {
        Tensor v = p.value();
        if (v.dtype() != DType.F32) {
            throw new IllegalArgumentException("graph passes work on float graphs; parameter " + p.name() + " is " + v.dtype());
        }
        float[] data = newValues != null ? newValues : v.toFloatArray();
        return new Parameter(p.name(), Backend.of(v).fromFloats(data, v.shape()), p.trainable());
    }

    static String owner(String paramName) {
        int dot = paramName.indexOf('.');
        return dot < 0 ? paramName : paramName.substring(0, dot);
    }
}
