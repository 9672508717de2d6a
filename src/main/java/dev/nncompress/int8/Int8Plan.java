package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Binary;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.QWeight;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.NodeStep;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Ops;
import dev.nncompress.graph.Value;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.graph.ops.PoolOps;
import dev.nncompress.quant.QParams;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;

/**
 * How an {@link Int8Model} runs on one backend: one {@link NodeStep} per node, which {@link
 * dev.nncompress.graph.GraphRunner} executes over the model's float graph like any other pass. Each quantised
 * CONV2D/LINEAR whose input has activation parameters is {@code qconv2d}/{@code qlinear} (int8 out, or
 * {@code qconv2dFloat}/{@code qlinearFloat} where the output has none); max-pool and flatten are ops on codes,
 * dropout and a final Softmax (skipped: callers want logits) pass their input through; issue 17's ops run on codes
 * through {@link Int8Steps}; everything else runs its float op on the dequantised input(s), requantised when its
 * output is planned ({@link #floatFallbacks()} names exactly those nodes). Built once; the steps hold prepared
 * weights and are only read, so one plan serves every thread.
 */
final class Int8Plan {
    private final Int8Model model;
    private final List<NodeStep> steps = new ArrayList<>();
    /** The int8 convs with int8 output, as planned, by node name (for {@link ConvPoolFusion}). */
    private final Map<String, ConvPoolFusion.Conv> convs = new java.util.HashMap<>();
    /** {@link #steps} with conv + max-pool pairs fused ({@link ConvPoolFusion}; int8speed): what a run executes. */
    private final List<NodeStep> runSteps;
    /** The nodes planned as float steps (their float op on dequantised inputs), in graph order. */
    private final List<Node> floatNodes = new ArrayList<>();
    /** A final Softmax over the classes that the plan skips (graph.Logits), or null. */
    private final String skippedSoftmax;
    /** The input's activation parameters, or null where the model reads float. */
    private final QParams inputParams;
    /** Int8 codes per image of the largest activation (the input included): what the pass splitting sizes by. */
    private final long largestActivation;

    /** {@code floatGraph}: the model's float graph on {@code backend} (the float fallbacks' parameters). */
    Int8Plan(Int8Model model, Graph floatGraph, Backend backend) {
        this.model = model;
        this.skippedSoftmax = Logits.endsWithSoftmax(floatGraph) ? model.output() : null;
        QParams qin = model.activations().get(Graph.INPUT);
        this.inputParams = qin == null ? null : Int8Steps.params(qin);
        Map<String, Shape> shapes = floatGraph.inferShapes();
        shapes.put(Graph.INPUT, model.inputShape());
        for (Node n : model.nodes()) steps.add(plan(n, shapes, backend)); // shapes inferred once: planning is linear in nodes
        runSteps = ConvPoolFusion.fuse(model, steps, convs);
        long largest = model.inputShape().numel();
        for (Node n : model.nodes()) largest = Math.max(largest, shapes.get(n.name()).numel());
        this.largestActivation = largest;
    }

    /** Node i's step, in the model's node order. */
    List<NodeStep> steps() { return Collections.unmodifiableList(steps); }

    /** {@link #steps} with each conv whose only reader is a tiling max-pool fused into the pool's step (the conv's own passes its input through). */
    List<NodeStep> runSteps() { return Collections.unmodifiableList(runSteps); }

    /** Whether some step runs a float op of the backend. */
    boolean usesFloatOps() { return !floatNodes.isEmpty(); }

    /** The input's activation parameters, or null where the model reads float. */
    QParams inputParams() { return inputParams; }

    long largestActivation() { return largestActivation; }

    /**
     * Exactly the nodes this plan runs as their float op on dequantised inputs, as "node X (SIGMOID)" (a conv
     * with its form: "node X (CONV2D, 4 groups)").
     */
    List<String> floatFallbacks() {
        List<String> out = new ArrayList<>();
        for (Node n : floatNodes) {
            String form = n.op() == OpType.CONV2D && !Conv2dOp.spec(n).plain() ? ", " + Conv2dOp.spec(n).notPlain() : "";
            out.add("node " + n.name() + " (" + n.op() + form + ")");
        }
        return out;
    }

    /** Nodes on int8 codes, GEMMs among them, and the float fallbacks; a skipped final Softmax is neither. */
    String summary() {
        long gemms = model.nodes().stream().filter(this::runsInt8Gemm).count();
        long int8 = model.nodes().size() - floatNodes.size() - (skippedSoftmax != null ? 1 : 0);
        List<String> fl = floatFallbacks();
        return int8 + " of " + model.nodes().size() + " nodes in int8 (" + gemms + " int8 GEMMs), "
                + (fl.isEmpty() ? "none in float" : fl.size() + " in float: " + String.join(", ", fl));
    }

    private boolean runsInt8Gemm(Node n) {
        return model.weights().containsKey(n.name()) && model.activations().containsKey(n.inputs().get(0))
                && !Int8Forms.depthwise(n, model.weights().get(n.name()).shape());
    }

    /** The step of the node's first input passed through as its own value. */
    private static final NodeStep PASS_THROUGH = (node, in, ctx) -> in.get(0);

    private NodeStep plan(Node n, Map<String, Shape> shapes, Backend backend) {
        String in = n.inputs().get(0);
        // logits are what a caller of logits() wants (eval's loss, a teacher's temperature): the softmax's input, as is
        if (n.name().equals(skippedSoftmax)) return PASS_THROUGH;
        boolean codesIn = model.activations().containsKey(in);
        Shape outShape = shapes.get(n.name());
        if (runsInt8Gemm(n)) return gemmStep(n, backend);
        // the kernels' int8 max-pool takes symmetric floor-mode windows; Int8Steps plans the other forms (output planned)
        if (codesIn && n.op() == OpType.MAXPOOL2D && PoolOps.spec(n).symmetricFloor()) {
            var s = PoolOps.spec(n);
            return Int8Steps.codes((x, b) -> b.qmaxPool2d(x.get(0).codes(), s));
        }
        if (codesIn && n.op() == OpType.FLATTEN) {
            return Int8Steps.codes((x, b) -> {
                var q = x.get(0).codes();
                return b.qreshape(q, GraphPredictor.batchShape(outShape, q.shape().dim(0)), null);
            });
        }
        if (n.op() == OpType.DROPOUT) return PASS_THROUGH;
        NodeStep codes = Int8Steps.plan(n, model, shapes, backend); // issue 17: tables, arithmetic, concat, depthwise, ... on codes
        if (codes != null) return codes;
        return floatStep(n, shapes);
    }

    private NodeStep gemmStep(Node n, Backend backend) {
        QuantizedWeight w = model.weights().get(n.name());
        String in = n.inputs().get(0);
        QParams qout = model.activations().get(n.name());
        QParams out = qout == null ? null : Int8Steps.params(qout);
        QWeight qw = backend.prepareQWeight(w.codes(), w.shape(), w.scales(), 1);
        float[] bias = Int8Steps.onGrid(model, n, model.activations().get(in), w); // what QLinearConv/QGemm add (issue 18)
        boolean relu = FusedRelu.on(n);
        if (n.op() == OpType.CONV2D) {
            Conv2dSpec spec = Conv2dOp.spec(n);
            if (out != null) convs.put(n.name(), new ConvPoolFusion.Conv(qw, bias, spec, relu, out));
            return out == null ? (node, x, ctx) -> Value.of(ctx.backend().qconv2dFloat(x.get(0).codes(), qw, bias, spec, relu))
                    : Int8Steps.codes((x, b) -> b.qconv2d(x.get(0).codes(), qw, bias, spec, relu, out));
        }
        return out == null ? (node, x, ctx) -> Value.of(ctx.backend().qlinearFloat(x.get(0).codes(), qw, bias, relu))
                : Int8Steps.codes((x, b) -> b.qlinear(x.get(0).codes(), qw, bias, relu, out));
    }

    /**
     * The node's own float op on the dequantised input(s), requantised when its output is planned. ADD, CONCAT and
     * two-input arithmetic call the backend op; every other op is its {@link Ops} forward with the float graph's
     * parameters. Dequantised temporaries are closed here or handed to the pass ({@code ctx.track}: an op may
     * return a view of its input); the result belongs to the pass.
     */
    private NodeStep floatStep(Node n, Map<String, Shape> shapes) {
        floatNodes.add(n);
        QParams qout = model.activations().get(n.name());
        QParams out = qout == null ? null : Int8Steps.params(qout);
        NodeStep f;
        if (n.op() == OpType.ADD && n.inputs().size() == 2 && shapes.get(n.inputs().get(0)).equals(shapes.get(n.inputs().get(1)))) {
            f = (node, in, ctx) -> Value.of(twoFloats(in, ctx.backend(), (x, y) -> ctx.backend().add(x, y)));
        } else if (n.op() == OpType.CONCAT) { // shapes family (issue 17): several inputs
            int axis = n.intAttr("axis") + 1;
            f = (node, in, ctx) -> {
                Backend b = ctx.backend();
                List<Tensor> parts = new ArrayList<>();
                try {
                    for (Value v : in) parts.add(v instanceof Value.Codes c ? b.dequantize(c.codes()) : null);
                    List<Tensor> use = new ArrayList<>();
                    for (int i = 0; i < parts.size(); i++) use.add(parts.get(i) != null ? parts.get(i) : in.get(i).floats());
                    return Value.of(b.concat(use, axis));
                } finally {
                    for (Tensor t : parts) if (t != null) t.close();
                }
            };
        } else if (n.inputs().size() == 2) {
            // pointwise family (issue 17): SUB/MUL/DIV or a broadcasting ADD of two tensors (a squeeze-excitation gate) in float
            Binary kind = ArithmeticOp.kindOf(n.op());
            if (kind == null) throw new IllegalArgumentException("node " + n.name() + " (" + n.op() + ") reads 2 inputs; the int8 engine cannot run it");
            f = (node, in, ctx) -> Value.of(twoFloats(in, ctx.backend(), (x, y) -> ctx.backend().binary(kind, x, y)));
        } else {
            f = (node, in, ctx) -> {
                Value x = in.get(0);
                Tensor t = x instanceof Value.Codes c ? ctx.track(ctx.backend().dequantize(c.codes())) : x.floats();
                return Value.of(Ops.of(node.op()).forward(node, List.of(t), ctx));
            };
        }
        if (out == null) return f;
        return (node, in, ctx) -> {
            Value y = f.run(node, in, ctx);
            try {
                return Value.of(ctx.backend().quantize(y.floats(), out));
            } finally {
                boolean input = false; // an op that returns its input leaves it to the pass
                for (Value v : in) input |= v.resource() == y.resource();
                if (!input) y.close();
            }
        };
    }

    /** {@code op} on the float values of two inputs (dequantised temporaries closed here). */
    private static Tensor twoFloats(List<Value> in, Backend b, BinaryOperator<Tensor> op) {
        Value a = in.get(0), c = in.get(1);
        Tensor ta = a instanceof Value.Codes q ? b.dequantize(q.codes()) : null, tc = c instanceof Value.Codes q ? b.dequantize(q.codes()) : null;
        try {
            return op.apply(ta != null ? ta : a.floats(), tc != null ? tc : c.floats());
        } finally {
            if (ta != null) ta.close();
            if (tc != null) tc.close();
        }
    }
}
