package dev.nncompress.models;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds a {@link Graph} layer by layer, initialising parameters as PyTorch does by default:
 * kaiming-uniform with a = sqrt(5) for weights, which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same
 * bound for biases; batch norm starts at weight 1, bias 0, running mean 0, running variance 1.
 * Every method returns the new node's name, to be fed to the next call.
 */
public final class GraphBuilder {
    private final String name;
    private final Shape inputShape;
    private final Backend backend;
    private final SplittableRandom rng;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Parameter> params = new LinkedHashMap<>();

    public GraphBuilder(String name, Shape inputShape, Backend backend, long seed) {
        this.name = name;
        this.inputShape = inputShape;
        this.backend = backend;
        this.rng = new SplittableRandom(seed);
    }

    public String conv(String node, String in, int outChannels, int kernel, int stride, int pad, boolean bias) {
        int inChannels = shapeOf(in).dim(0);
        int fanIn = inChannels * kernel * kernel;
        addParam(node + ".weight", uniform(Shape.of(outChannels, inChannels, kernel, kernel), fanIn), true);
        if (bias) addParam(node + ".bias", uniform(Shape.of(outChannels), fanIn), true);
        return add(node, OpType.CONV2D, List.of(in), Map.of("stride_h", (double) stride, "stride_w", (double) stride,
                "pad_h", (double) pad, "pad_w", (double) pad));
    }

    // ---- conv family (issue 17): any Conv2dSpec (groups, depthwise, dilation, asymmetric padding) ----
    /** A square-kernel conv of the general form; fan-in (C/groups)*k*k, as PyTorch's. */
    public String conv(String node, String in, int outChannels, int kernel, dev.nncompress.backend.Conv2dSpec spec, boolean bias) {
        int inPerGroup = shapeOf(in).dim(0) / spec.groups();
        int fanIn = inPerGroup * kernel * kernel;
        addParam(node + ".weight", uniform(Shape.of(outChannels, inPerGroup, kernel, kernel), fanIn), true);
        if (bias) addParam(node + ".bias", uniform(Shape.of(outChannels), fanIn), true);
        return add(node, OpType.CONV2D, List.of(in), dev.nncompress.graph.ops.Conv2dOp.attrs(spec));
    }

    public String linear(String node, String in, int outFeatures) {
        int inFeatures = shapeOf(in).numel();
        addParam(node + ".weight", uniform(Shape.of(outFeatures, inFeatures), inFeatures), true);
        addParam(node + ".bias", uniform(Shape.of(outFeatures), inFeatures), true);
        return add(node, OpType.LINEAR, List.of(in), Map.of());
    }

    public String batchNorm(String node, String in) {
        int c = shapeOf(in).dim(0);
        addParam(node + ".weight", filled(c, 1f), true);
        addParam(node + ".bias", filled(c, 0f), true);
        addParam(node + ".running_mean", filled(c, 0f), false);
        addParam(node + ".running_var", filled(c, 1f), false);
        return add(node, OpType.BATCHNORM2D, List.of(in), Map.of("eps", 1e-5, "momentum", 0.1));
    }

    public String relu(String node, String in) { return add(node, OpType.RELU, List.of(in), Map.of()); }

    public String maxPool(String node, String in, int k) { return pool(node, OpType.MAXPOOL2D, in, k, k, 0); }

    public String avgPool(String node, String in, int k, int stride, int pad) { return pool(node, OpType.AVGPOOL2D, in, k, stride, pad); }

    public String globalAvgPool(String node, String in) { return add(node, OpType.GLOBAL_AVGPOOL, List.of(in), Map.of()); }

    public String flatten(String node, String in) { return add(node, OpType.FLATTEN, List.of(in), Map.of()); }

    public String addNodes(String node, String a, String b) { return add(node, OpType.ADD, List.of(a, b), Map.of()); }

    public String dropout(String node, String in, double p) { return add(node, OpType.DROPOUT, List.of(in), Map.of("p", p)); }

    /** Any parameter-free op with the given attributes (shape ops, pools with ceil mode or asymmetric padding). */
    public String op(String node, OpType op, List<String> inputs, Map<String, Double> attrs) { return add(node, op, inputs, attrs); }
    // ---- pointwise family (issue 17) ----

    /** An activation (CLIP, LEAKY_RELU, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH) with its attributes (graph.ops.ActivationOp). */
    public String activation(String node, OpType op, String in, Map<String, Double> attrs) { return add(node, op, List.of(in), attrs); }

    /** ADD, SUB, MUL or DIV of two nodes' outputs, broadcasting (graph.ops.ArithmeticOp). */
    public String arithmetic(String node, OpType op, String a, String b) { return add(node, op, List.of(a, b), Map.of()); }

    /** ADD, SUB, MUL or DIV of a node's output and {@code constant} (first when {@code constantFirst}); a buffer unless {@code trainable}. */
    public String arithmetic(String node, OpType op, String in, Tensor constant, boolean constantFirst, boolean trainable) {
        addParam(node + ".constant", constant, trainable);
        return add(node, op, List.of(in), constantFirst ? Map.of("constant_first", 1.0) : Map.of());
    }

    /** Softmax over {@code axis} of the [N, ...] tensor (negative from the end). */
    public String softmax(String node, String in, int axis) { return add(node, OpType.SOFTMAX, List.of(in), Map.of("axis", (double) axis)); }

    public Graph build(String output) { return new Graph(name, inputShape, nodes, output, params); }

    /** Per-sample shape of a node's output (or of the graph input). */
    public Shape shapeOf(String node) {
        if (Graph.INPUT.equals(node)) return inputShape;
        return new Graph(name, inputShape, nodes, node, params).inferShapes().get(node);
    }

    private String pool(String node, OpType op, String in, int k, int stride, int pad) {
        return add(node, op, List.of(in), Map.of("kernel_h", (double) k, "kernel_w", (double) k, "stride_h", (double) stride,
                "stride_w", (double) stride, "pad_h", (double) pad, "pad_w", (double) pad));
    }

    private String add(String node, OpType op, List<String> inputs, Map<String, Double> attrs) {
        nodes.add(new Node(node, op, inputs, attrs));
        shapeOf(node); // fail here, naming the node, if it does not fit
        return node;
    }

    private void addParam(String paramName, Tensor value, boolean trainable) {
        if (params.containsKey(paramName)) throw new IllegalArgumentException("duplicate parameter " + paramName);
        params.put(paramName, new Parameter(paramName, value, trainable));
    }

    private Tensor uniform(Shape shape, int fanIn) {
        double bound = 1.0 / Math.sqrt(fanIn);
        float[] v = new float[shape.numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        return backend.fromFloats(v, shape);
    }

    private Tensor filled(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return backend.fromFloats(v, Shape.of(n));
    }
}
