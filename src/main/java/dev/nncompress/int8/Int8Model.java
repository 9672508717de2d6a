package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.util.Quoted;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A converted int8 model: the prepared graph's structure, int8 weights with per-output-channel scales
 * for the quantised CONV2D/LINEAR nodes ({@link #weights()}, keyed by node), the parameters kept in
 * float ({@link #floats()}, keyed by parameter name: biases and the layers kept in float), and the
 * per-tensor int8 activation parameters ({@link #activations()}, keyed by tensor: {@link Graph#INPUT}
 * or a node name). Host arrays only; {@link Int8Runner} executes it.
 *
 * <p>The constructor checks everything a loaded file could get wrong: schemes, channel counts, that every
 * node's parameters are present exactly once, and (through {@link #floatGraph}) every shape.
 */
public final class Int8Model {
    private final String name;
    private final Shape inputShape;
    private final List<Node> nodes;
    private final String output;
    private final Map<String, QuantizedWeight> weights;
    private final Map<String, FloatParam> floats;
    private final Map<String, QParams> activations;
    private final Map<String, String> info;

    public Int8Model(String name, Shape inputShape, List<Node> nodes, String output, Map<String, QuantizedWeight> weights,
                     Map<String, FloatParam> floats, Map<String, QParams> activations, Map<String, String> info) {
        this.name = name;
        this.inputShape = inputShape;
        this.nodes = List.copyOf(nodes);
        this.output = output;
        this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        this.floats = Collections.unmodifiableMap(new LinkedHashMap<>(floats));
        this.activations = Collections.unmodifiableMap(new LinkedHashMap<>(activations));
        this.info = Collections.unmodifiableMap(new LinkedHashMap<>(info));
        validate();
    }

    public String name() { return name; }

    public Shape inputShape() { return inputShape; }

    public List<Node> nodes() { return nodes; }

    public String output() { return output; }

    public Map<String, QuantizedWeight> weights() { return weights; }

    public Map<String, FloatParam> floats() { return floats; }

    public Map<String, QParams> activations() { return activations; }

    /** How it was made: observer, calibration images, source model. */
    public Map<String, String> info() { return info; }

    public Node node(String nodeName) {
        for (Node n : nodes) if (n.name().equals(nodeName)) return n;
        throw new IllegalArgumentException("int8 model " + Quoted.of(name) + " has no node " + Quoted.of(nodeName));
    }

    /**
     * The float graph this model computes when every int8 weight is replaced by {@code codes * scale}
     * (activations stay float): for shape checks, for the nodes the int8 engine runs in float, and for
     * comparing with the float original. The caller closes the parameter tensors.
     */
    public Graph floatGraph(Backend backend) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (Node n : nodes) {
            QuantizedWeight w = weights.get(n.name());
            if (w != null) {
                String p = n.paramName("weight");
                params.put(p, new Parameter(p, backend.fromFloats(w.dequantize(), w.shape()), true));
            }
        }
        floats.forEach((p, v) -> params.put(p, new Parameter(p, backend.fromFloats(v.values(), v.shape()), true)));
        return new Graph(name, inputShape, nodes, output, params);
    }

    /** Weights and float parameters, counted as values (as a float graph's parameter count). */
    public long parameterCount() {
        long c = 0;
        for (QuantizedWeight w : weights.values()) c += w.codes().length;
        for (FloatParam p : floats.values()) c += p.values().length;
        return c;
    }

    /** Bytes of each node's parameters as stored (int8 codes + float scales + float params), in node order. */
    public Map<String, Long> bytesPerNode() { return bytesPerNode(true); }

    /** Bytes the same parameters take in float32. */
    public Map<String, Long> floatBytesPerNode() { return bytesPerNode(false); }

    private Map<String, Long> bytesPerNode(boolean asStored) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Node n : nodes) {
            long b = 0;
            QuantizedWeight w = weights.get(n.name());
            if (w != null) b += asStored ? w.codes().length + 4L * w.scales().length : 4L * w.codes().length;
            for (var e : floats.entrySet()) if (owner(e.getKey()).equals(n.name())) b += 4L * e.getValue().values().length;
            out.put(n.name(), b);
        }
        return out;
    }

    static String owner(String paramName) {
        int dot = paramName.indexOf('.');
        return dot < 0 ? paramName : paramName.substring(0, dot);
    }

    private void validate() {
        java.util.Set<String> names = new java.util.HashSet<>();
        names.add(Graph.INPUT);
        for (Node n : nodes) names.add(n.name());
        for (var e : weights.entrySet()) {
            if (!names.contains(e.getKey()) || Graph.INPUT.equals(e.getKey())) throw new IllegalArgumentException("int8 weight for unknown node " + Quoted.of(e.getKey()));
            OpType op = node(e.getKey()).op();
            if (op != OpType.CONV2D && op != OpType.LINEAR) throw new IllegalArgumentException("int8 weight for node " + Quoted.of(e.getKey()) + " of type " + op + " (only CONV2D and LINEAR)");
            Node node = node(e.getKey());
            if (op == OpType.CONV2D && !dev.nncompress.graph.ops.Conv2dOp.spec(node).plain() && !Int8Forms.depthwise(node, e.getValue().shape())) {
                throw new IllegalArgumentException("int8 weight for node " + Quoted.of(e.getKey()) + ", a " + dev.nncompress.graph.ops.Conv2dOp.spec(node).notPlain()
                        + " conv that is not depthwise; the int8 kernels take plain and depthwise convs, so its weight must be float");
            }
            if (floats.containsKey(e.getKey() + ".weight")) throw new IllegalArgumentException("node " + Quoted.of(e.getKey()) + " has both an int8 and a float weight");
        }
        for (String p : floats.keySet()) {
            if (!names.contains(owner(p)) || Graph.INPUT.equals(owner(p))) throw new IllegalArgumentException("float parameter " + Quoted.of(p) + " belongs to no node");
        }
        for (var e : activations.entrySet()) {
            if (!names.contains(e.getKey())) throw new IllegalArgumentException("activation parameters for unknown tensor " + Quoted.of(e.getKey()));
            QParams q = e.getValue();
            if (q.scheme().perChannel() || q.scheme().dtype() != QDType.INT8) {
                throw new IllegalArgumentException("activation " + Quoted.of(e.getKey()) + ": the int8 engine takes per-tensor int8 activations, got " + q.scheme());
            }
        }
        // shapes: a float graph on the heap-only reference backend checks every parameter against its op
        try (Backend ref = new dev.nncompress.backend.ref.ReferenceBackend()) {
            Graph g = floatGraph(ref);
            for (Parameter p : g.params().values()) p.value().close();
        }
    }
}
