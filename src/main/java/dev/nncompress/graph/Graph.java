package dev.nncompress.graph;

import dev.nncompress.tensor.Shape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one model IR: a DAG of {@link Node}s in topological order reading a single image input named
 * {@value #INPUT}, plus the parameters the nodes own. Training runs it forward and backward
 * ({@link GraphRunner}), compression reads and rewrites it, and the model file stores it.
 */
public final class Graph {
    public static final String INPUT = "input";
    /**
     * Most values one sample of any tensor may have, input or node output (2^24: 64 MB of floats, 300x
     * the teacher's largest activation): a few bytes of graph must not be able to ask for terabytes.
     */
    public static final int MAX_SAMPLE_VALUES = 1 << 24;

    private final String name;
    private final Shape inputShape; // per sample: [C, H, W]
    private final List<Node> nodes;
    private final String output;
    private final Map<String, Parameter> params;

    public Graph(String name, Shape inputShape, List<Node> nodes, String output, Map<String, Parameter> params) {
        this.name = name;
        this.inputShape = inputShape;
        this.nodes = List.copyOf(nodes);
        this.output = output;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        validateTopology();
        inferShapes(); // throws if a parameter or attribute does not fit
    }

    public String name() { return name; }

    public Shape inputShape() { return inputShape; }

    public List<Node> nodes() { return nodes; }

    public String output() { return output; }

    public Map<String, Parameter> params() { return params; }

    public Node node(String nodeName) {
        for (Node n : nodes) if (n.name().equals(nodeName)) return n;
        throw new IllegalArgumentException("graph " + name + " has no node '" + nodeName + "'");
    }

    /**
     * Parameter {@code <node>.<suffix>}, as {@link #param(String)}, looked up by node name and suffix without building
     * the name: an op asks for its parameters on every pass, and at batch 1 the concatenation and hashing of
     * ~100 fresh names was a tenth of a MobileNetV2 pass (JFR). The index is built once (the graph is immutable).
     */
    public Parameter param(Node node, String suffix) {
        Parameter p = byNode().getOrDefault(node.name(), Map.of()).get(suffix);
        return p != null ? p : param(node.paramName(suffix)); // param(String) names what is missing
    }

    /** Whether {@code <node>.<suffix>} exists, as {@code params().containsKey(node.paramName(suffix))}. */
    public boolean hasParam(Node node, String suffix) { return byNode().getOrDefault(node.name(), Map.of()).containsKey(suffix); }

    private volatile Map<String, Map<String, Parameter>> byNode;

    /** node name -> suffix -> parameter, for names {@code <node>.<suffix>} (node names hold no '.'). */
    private Map<String, Map<String, Parameter>> byNode() {
        Map<String, Map<String, Parameter>> m = byNode;
        if (m == null) {
            m = new HashMap<>();
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                int dot = e.getKey().indexOf('.');
                if (dot > 0) m.computeIfAbsent(e.getKey().substring(0, dot), k -> new HashMap<>()).put(e.getKey().substring(dot + 1), e.getValue());
            }
            byNode = m;
        }
        return m;
    }

    public Parameter param(String paramName) {
        Parameter p = params.get(paramName);
        if (p == null) throw new IllegalArgumentException("graph " + name + " has no parameter '" + paramName + "'");
        return p;
    }

    /** Parameters the optimiser updates, in graph order. */
    public List<Parameter> trainableParams() {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : params.values()) if (p.trainable()) out.add(p);
        return out;
    }

    /** Number of scalar values in trainable parameters (what PyTorch's parameter count reports). */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : params.values()) if (p.trainable()) n += p.value().numel();
        return n;
    }

    /**
     * Output shape of every node for one sample (batch dimension excluded), in node order; each has
     * dims >= 1 and at most {@link #MAX_SAMPLE_VALUES} values.
     */
    public Map<String, Shape> inferShapes() {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        String badInput = badSample("input", inputShape);
        if (badInput != null) throw new IllegalArgumentException("graph " + name + ": " + badInput);
        shapes.put(INPUT, inputShape);
        for (Node n : nodes) {
            List<Shape> ins = new ArrayList<>();
            for (String in : n.inputs()) ins.add(shapes.get(in));
            try {
                Shape out = Ops.of(n.op()).outputShape(n, ins, this);
                String bad = badSample("output", out);
                if (bad != null) throw new IllegalArgumentException(bad);
                shapes.put(n.name(), out);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new IllegalArgumentException("graph " + name + ", node " + n.name() + ": " + e.getMessage(), e);
            }
        }
        shapes.remove(INPUT);
        return shapes;
    }

    /** Why a per-sample shape is unusable (a zero dim, more than {@link #MAX_SAMPLE_VALUES} values), or null. */
    private static String badSample(String what, Shape s) {
        for (int d : s.dims()) if (d < 1) return what + " shape " + s + " is empty";
        if (s.numel() > MAX_SAMPLE_VALUES) return what + " shape " + s + " has " + s.numel() + " values per sample, more than " + MAX_SAMPLE_VALUES;
        return null;
    }

    private void validateTopology() {
        Set<String> seen = new HashSet<>();
        seen.add(INPUT);
        for (Node n : nodes) {
            for (String in : n.inputs()) {
                if (!seen.contains(in)) {
                    throw new IllegalArgumentException("graph " + name + ": node " + n.name() + " reads '" + in
                            + "', which is not the input or an earlier node");
                }
            }
            if (!seen.add(n.name())) throw new IllegalArgumentException("graph " + name + ": duplicate node name " + n.name());
        }
        if (!seen.contains(output) || INPUT.equals(output)) {
            throw new IllegalArgumentException("graph " + name + ": output '" + output + "' is not a node");
        }
    }
}
