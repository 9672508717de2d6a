package dev.nncompress.io.onnx;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.Ops;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.io.onnx.Value.Activation;
import dev.nncompress.tensor.Shape;
import dev.nncompress.util.Quoted;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The state of one import: what each ONNX value name stands for, the nodes and parameters of our
 * graph so far (with each node's per-sample output shape), the ONNX names behind ours, and what was
 * folded or removed, for the summary.
 */
final class ImportContext {
    final Backend backend;
    final int opset;
    /** The batch size fixed in the ONNX input's first dim, or 0 when it is symbolic. */
    final long fixedBatch;
    private final Map<String, Value> values = new HashMap<>();
    private final Map<String, Integer> uses;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Node> byName = new HashMap<>();
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Shape> shapes = new HashMap<>();
    /** Our node -> the ONNX value it was made for (a bias Add may fold into it only while nothing else reads that value). */
    private final Map<String, String> madeFor = new HashMap<>();
    private final Map<String, String> sourceNames = new TreeMap<>();
    private final Map<String, Integer> folded = new TreeMap<>();
    private final NodeNames names = new NodeNames();

    ImportContext(Backend backend, int opset, long fixedBatch, Map<String, Integer> uses, Shape inputShape) {
        this.backend = backend;
        this.opset = opset;
        this.fixedBatch = fixedBatch;
        this.uses = uses;
        shapes.put(Graph.INPUT, inputShape);
    }

    /** Defines ONNX value {@code name}; a second definition is an error (ONNX graphs are single-assignment). */
    void define(String name, Value v) {
        if (values.putIfAbsent(name, v) != null) throw new IllegalArgumentException("value " + Quoted.of(name) + " is defined twice");
    }

    /** The value of {@code name}: null for "" (an optional input left out); an error if nothing defined it earlier. */
    Value get(String name, String where) {
        if (name.isEmpty()) return null;
        Value v = values.get(name);
        if (v == null) throw new IllegalArgumentException(where + " reads " + Quoted.of(name) + ", which no earlier node, initializer or input defines");
        return v;
    }

    /** How many node inputs and graph outputs read ONNX value {@code name}. */
    int uses(String name) { return uses.getOrDefault(name, 0); }

    Shape shape(Activation a) { return shapes.get(a.node()); }

    void countFolded(String what) { folded.merge(what, 1, Integer::sum); }

    Map<String, Integer> folded() { return folded; }

    Map<String, String> sourceNames() { return sourceNames; }

    /** A fresh node name for an ONNX node (see {@link NodeNames}). */
    String nodeName(String weightName, String onnxNodeName, String opType) {
        return names.unique(weightName, onnxNodeName, opType, nodes.size());
    }

    /**
     * Adds our node {@code name} with its parameters ({@code <name>.<suffix>} -> constant; running_* are
     * buffers) and returns its output. The node's attributes are checked by {@link Node} against the op's
     * schema and its output shape computed by the op itself, on a one-node graph, so that a file cannot
     * hand the ops anything they would not accept from a model file.
     */
    Activation add(String name, OpType op, List<Activation> inputs, Map<String, Double> attrs, Map<String, Const> weights,
                   String onnxNode, String madeForValue) {
        Map<String, Parameter> own = new LinkedHashMap<>();
        Node node;
        Shape out;
        try {
            for (var e : weights.entrySet()) {
                String p = name + "." + e.getKey();
                // buffers: BN statistics, and a constant operand (pointwise family, issue 17), which fine-tuning keeps fixed
                own.put(p, parameter(p, e.getValue(), !e.getKey().startsWith("running_") && !e.getKey().equals(ArithmeticOp.CONSTANT)));
            }
            List<String> ins = inputs.stream().map(Activation::node).toList();
            node = new Node(name, op, ins, attrs);
            Node probe = new Node(name, op, ins.stream().map(i -> Graph.INPUT).toList(), attrs);
            Graph probed = new Graph(name, shapes.get(ins.get(0)), List.of(probe), name, own);
            out = probed.inferShapes().get(name);
            // inputs of different shapes (a broadcasting MUL): the probe gave each the first one's; the op's rule on the real
            // shapes, then the per-sample bounds a graph checks (dims >= 1, at most Graph.MAX_SAMPLE_VALUES values)
            if (ins.size() > 1) out = checkedSample(name, Ops.of(op).outputShape(node, ins.stream().map(shapes::get).toList(), probed));
        } catch (RuntimeException e) {
            for (Parameter p : own.values()) p.value().close();
            throw e;
        }
        for (var e : weights.entrySet()) {
            String p = name + "." + e.getKey();
            if (e.getValue().source() != null && !e.getValue().source().equals(p)) sourceNames.put(p, e.getValue().source());
        }
        nodes.add(node);
        byName.put(name, node);
        params.putAll(own);
        shapes.put(name, out);
        madeFor.put(name, madeForValue);
        if (!onnxNode.isEmpty() && !onnxNode.equals(name)) sourceNames.put(name, onnxNode);
        return new Activation(name, out);
    }

    private static Shape checkedSample(String node, Shape s) {
        for (int d : s.dims()) if (d < 1) throw new IllegalArgumentException("node " + node + ": output shape " + s + " is empty");
        if (s.numel() > Graph.MAX_SAMPLE_VALUES) {
            throw new IllegalArgumentException("node " + node + ": output shape " + s + " has more than " + Graph.MAX_SAMPLE_VALUES + " values per sample");
        }
        return s;
    }

    /** True when {@code a} is the output of our node of type {@code op} made for ONNX value {@code value}, which nothing else reads. */
    boolean soleReaderOf(Activation a, OpType op, String value) {
        Node n = node(a.node());
        return n != null && n.op() == op && value.equals(madeFor.get(a.node())) && uses(value) == 1;
    }

    Node node(String name) { return byName.get(name); }

    Parameter param(String name) { return params.get(name); }

    /** Sets (or replaces) a parameter of an existing node: a folded bias. */
    void putParam(String name, Const value, boolean trainable) {
        Parameter old = params.put(name, parameter(name, value, trainable));
        if (old != null) old.value().close();
        if (value.source() != null) sourceNames.put(name, value.source());
    }

    private Parameter parameter(String name, Const c, boolean trainable) {
        if (!c.isFloat()) throw new IllegalStateException(name + " is not float"); // callers check with a message naming the tensor
        return new Parameter(name, backend.fromFloats(c.floats(), Shape.of(c.dims())), trainable);
    }

    /**
     * The graph whose output is {@code output}, without the nodes it does not read (an export may leave
     * some behind once Dropout masks or BatchNorm statistics outputs are dropped); returns how many
     * were dropped through {@code dropped}.
     */
    Graph build(String graphName, String output, int[] dropped) {
        Set<String> live = new HashSet<>();
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(output));
        while (!todo.isEmpty()) {
            String n = todo.pop();
            if (n.equals(Graph.INPUT) || !live.add(n)) continue;
            todo.addAll(node(n).inputs());
        }
        List<Node> kept = nodes.stream().filter(n -> live.contains(n.name())).toList();
        if (kept.size() > dev.nncompress.io.ModelIO.MAX_GRAPH_NODES) {
            throw new IllegalArgumentException("the graph would have " + kept.size() + " nodes, more than a model file holds ("
                    + dev.nncompress.io.ModelIO.MAX_GRAPH_NODES + ")");
        }
        Map<String, Parameter> keptParams = new LinkedHashMap<>();
        for (var e : params.entrySet()) {
            if (live.contains(e.getKey().substring(0, e.getKey().indexOf('.')))) keptParams.put(e.getKey(), e.getValue());
            else e.getValue().value().close();
        }
        dropped[0] = nodes.size() - kept.size();
        sourceNames.keySet().removeIf(k -> !live.contains(k.contains(".") ? k.substring(0, k.indexOf('.')) : k) && !k.equals(Graph.INPUT));
        return new Graph(graphName, shapes.get(Graph.INPUT), kept, output, keptParams);
    }

    /** Closes every parameter made so far (an import that failed). */
    void discard() {
        for (Parameter p : params.values()) p.value().close();
        params.clear();
    }
}
