package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Binary;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.QTensor;
import dev.nncompress.backend.QWeight;
import dev.nncompress.backend.QuantParams;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.CallGuard;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.Predictor;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.graph.ops.PoolOps;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Runs an {@link Int8Model} end to end in int8 where the model is int8, as {@link Backend} int8 ops (issue 21) on
 * one backend: the graph input is quantised once ({@code quantize}), each quantised CONV2D/LINEAR whose input has
 * activation parameters is {@code qconv2d}/{@code qlinear} (int8 im2col + int8 GEMM with int32 accumulation and the
 * requantisation (scale, bias, ReLU, output scale and zero point) fused into the epilogue), so int8 codes
 * ({@link QTensor}s, channels-last) flow from layer to layer; max-pool and flatten are ops on codes and dropout
 * passes them through. Issue 17's ops run on codes too ({@link Int8Steps}): depthwise convs, activations and
 * unfused ReLUs, arithmetic with broadcasting or a constant, concat, global average pools and reshapes. Everything
 * else (average pools, softmax, unfolded BN, general grouped or dilated convs, layers kept in float, nodes reading a
 * float tensor) runs its float op on the same backend on the dequantised input(s) and is requantised when its output
 * is planned, which is what {@code SimulatedInt8} measures; {@link #floatFallbacks()} names exactly those nodes.
 * The output is dequantised to float logits. Any backend with the int8 ops runs it (reference: the Java twin;
 * cpu: our JNI kernels; cuda: codes on the device, one upload and one download a batch).
 *
 * <p>Thread-safe: each call owns the tensors it makes and closes them at its end (the host backends' code arrays
 * go back to a pool the next call takes them from); prepared weights are only read. At most as many calls run at
 * once as the backend's int8 ops allow, and its float ops where some step runs them ({@code parallelCalls()}).
 * {@link #close()} waits for the calls running, then frees the float parameters; later calls fail with
 * "predictor NAME is closed".
 */
public final class Int8Runner implements Predictor {
    private final Int8Model model;
    private final Backend backend;
    private final Graph floatGraph;
    private final List<Int8Steps.Step> steps = new ArrayList<>();
    /** Nanoseconds spent per node (index 0: quantising the input), summed over every call of every thread: where the time goes. */
    private final AtomicLongArray nanos;
    private final CallGuard guard;
    /** Images per pass through the model: activations of about {@code Backend.int8PassBytes()} stay in cache between layers. */
    private final int passImages;
    /** Whether some step runs a float op of the backend (set while planning). */
    private boolean usesFloatOps;
    /** The nodes planned as float steps (their float op on dequantised inputs), in graph order. */
    private final List<Node> floatNodes = new ArrayList<>();
    /** A final Softmax over the classes that {@link #logits} skips (graph.Logits), or null. */
    private final String skippedSoftmax;
    /** The input's activation parameters, or null where the model reads float. */
    private final QuantParams inputParams;

    /**
     * The model on {@code floatBackend} with its int8 ops on {@code kernels} ({@code Backend.withInt8Kernels}: what
     * --int8-kernels picks). The cuda backend with its own kernels runs the model itself, codes on the device
     * (issue 21); a backend that cannot take the kernels given (host kernels on cuda) hands the whole model to a
     * reference backend over those kernels.
     */
    public Int8Runner(Int8Model model, Int8Kernels kernels, Backend floatBackend) { this(model, withKernels(floatBackend, kernels)); }

    /** The model on {@code backend}'s int8 and float ops. */
    public Int8Runner(Int8Model model, Backend backend) {
        this.model = model;
        this.backend = backend;
        this.floatGraph = model.floatGraph(backend);
        this.skippedSoftmax = Logits.endsWithSoftmax(floatGraph) ? model.output() : null;
        QParams qin = model.activations().get(Graph.INPUT);
        this.inputParams = qin == null ? null : Int8Steps.params(qin);
        Map<String, Shape> shapes = floatGraph.inferShapes();
        shapes.put(Graph.INPUT, model.inputShape());
        for (Node n : model.nodes()) steps.add(plan(n, shapes)); // shapes inferred once: plan is linear in nodes
        nanos = new AtomicLongArray(steps.size() + 1);
        long largest = model.inputShape().numel(); // int8 codes per image of the largest activation
        for (Node n : model.nodes()) largest = Math.max(largest, shapes.get(n.name()).numel());
        long pass = backend.int8PassBytes();
        passImages = pass <= 0 ? Integer.MAX_VALUE : (int) Math.max(1, Math.min(Integer.MAX_VALUE, pass / largest));
        // the float ops' limit counts only when some step runs them (int8 student: none; 8 calls at once beat 2
        // there, measured 1.0-1.2x against 0.9-1.0x one thread's images/s)
        guard = new CallGuard("predictor " + model.name(), usesFloatOps ? Math.min(backend.int8ParallelCalls(), backend.parallelCalls())
                : backend.int8ParallelCalls());
    }

    private static Backend withKernels(Backend b, Int8Kernels kernels) {
        try {
            return b.withInt8Kernels(kernels);
        } catch (UnsupportedOperationException e) {
            return new ReferenceBackend().withInt8Kernels(kernels);
        }
    }

    /** Milliseconds spent so far per node ("input" = quantising the input), in execution order. */
    public Map<String, Double> millisPerNode() {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        out.put(Graph.INPUT, nanos.get(0) / 1e6);
        for (int i = 0; i < steps.size(); i++) out.put(model.nodes().get(i).name(), nanos.get(i + 1) / 1e6);
        return out;
    }

    /** The int8 kernels this runner computes with ("native-avx512vnni", "java", ...). */
    public String kernelsName() { return backend.int8Kernels(); }

    /** The backend whose int8 and float ops run the model. */
    public Backend backend() { return backend; }

    @Override public String name() { return model.name(); }

    @Override public Shape inputShape() { return model.inputShape(); }

    /**
     * How many nodes run on int8 codes (int8 GEMMs, the {@link Int8Steps} ops, code pass-throughs), how many of
     * them are GEMMs, and which run in float ({@link #floatFallbacks}); a final Softmax that logits() skips is
     * neither.
     */
    public String summary() {
        long gemms = model.nodes().stream().filter(this::runsInt8Gemm).count();
        long int8 = model.nodes().size() - floatNodes.size() - (skippedSoftmax != null ? 1 : 0);
        List<String> fl = floatFallbacks();
        return int8 + " of " + model.nodes().size() + " nodes in int8 (" + gemms + " int8 GEMMs), "
                + (fl.isEmpty() ? "none in float" : fl.size() + " in float: " + String.join(", ", fl));
    }

    @Override
    @SuppressWarnings("try") // the guard is held, not used
    public float[] logits(float[] images, int n) {
        Shape sample = model.inputShape();
        if ((long) n * sample.numel() != images.length) {
            throw new IllegalArgumentException("int8 model " + model.name() + " expects " + n + " x " + sample + " input values, got " + images.length);
        }
        try (CallGuard.Use call = guard.enter()) {
            if (passImages >= n) return run(images, n);
            // parts of equal size but the last, each a whole pass through the model (int8speed: ~1 MB of codes stays in cache)
            int parts = (n + passImages - 1) / passImages, size = (n + parts - 1) / parts, per = (int) sample.numel();
            float[] out = null;
            int width = 0;
            for (int i = 0; i < n; i += size) {
                int m = Math.min(size, n - i);
                float[] part = run(Arrays.copyOfRange(images, i * per, (i + m) * per), m);
                if (out == null) {
                    width = part.length / m;
                    out = new float[Math.multiplyExact(n, width)];
                }
                System.arraycopy(part, 0, out, i * width, m * width);
            }
            return out;
        }
    }

    /** One pass of {@code n} images through the model. */
    private float[] run(float[] images, int n) {
        // the scope frees what the call made without a Cleaner each (cpu backend), after the pass closed it all
        try (Backend.Scope scope = backend.scope(); Pass pass = new Pass()) {
            long t = System.nanoTime();
            pass.values.put(Graph.INPUT, input(images, n, pass));
            for (int i = 0; i < steps.size(); i++) {
                long t1 = System.nanoTime();
                nanos.addAndGet(i, t1 - t);
                t = t1;
                pass.put(model.nodes().get(i).name(), steps.get(i).run(pass.values, backend));
            }
            nanos.addAndGet(steps.size(), System.nanoTime() - t);
            return floats(pass.values.get(model.output()), pass).toFloatArray();
        }
    }

    /**
     * Every node's output (and the input's, under {@code Graph.INPUT}) for {@code n} images, as float NCHW values
     * (codes dequantised): where a layer departs from another runtime's (issue 18's QDQ comparison). One call.
     */
    public Map<String, float[]> trace(float[] images, int n) {
        try (Pass pass = new Pass()) {
            Map<String, float[]> out = new java.util.LinkedHashMap<>();
            pass.values.put(Graph.INPUT, input(images, n, pass));
            out.put(Graph.INPUT, floats(pass.values.get(Graph.INPUT), pass).toFloatArray());
            for (int i = 0; i < steps.size(); i++) {
                String name = model.nodes().get(i).name();
                pass.put(name, steps.get(i).run(pass.values, backend));
                out.put(name, floats(pass.values.get(name), pass).toFloatArray());
            }
            return out;
        }
    }

    /** One call's values by node and everything it made, closed at its end (the input array is the caller's). */
    private static final class Pass implements AutoCloseable {
        final Map<String, Object> values = new HashMap<>(64);
        final List<AutoCloseable> made = new ArrayList<>();

        void put(String name, Object v) {
            values.put(name, v);
            track(v);
        }

        <T> T track(T v) {
            if (v instanceof AutoCloseable c) made.add(c);
            return v;
        }

        @Override public void close() {
            RuntimeException first = null;
            for (AutoCloseable c : made) {
                try {
                    c.close();
                } catch (Exception e) {
                    if (first == null) first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
            }
            if (first != null) throw first;
        }
    }

    private Object input(float[] images, int n, Pass pass) {
        Shape batch = GraphPredictor.batchShape(model.inputShape(), n);
        return pass.track(inputParams == null ? backend.fromFloats(images, batch) : backend.quantize(images, batch, inputParams));
    }

    /** A value as a float tensor (codes dequantised, made in {@code pass}). */
    private Tensor floats(Object v, Pass pass) { return v instanceof QTensor q ? pass.track(backend.dequantize(q)) : (Tensor) v; }

    private boolean runsInt8Gemm(Node n) {
        return model.weights().containsKey(n.name()) && model.activations().containsKey(n.inputs().get(0))
                && !Int8Forms.depthwise(n, model.weights().get(n.name()).shape());
    }

    private Int8Steps.Step plan(Node n, Map<String, Shape> shapes) {
        String in = n.inputs().get(0);
        // logits are what a caller of logits() wants (eval's loss, a teacher's temperature): the softmax's input, as is
        if (n.name().equals(skippedSoftmax)) return (v, b) -> v.get(in);
        boolean codesIn = model.activations().containsKey(in);
        Shape outShape = shapes.get(n.name());
        if (runsInt8Gemm(n)) return gemmStep(n);
        // the kernels' int8 max-pool takes symmetric floor-mode windows; Int8Steps plans the other forms (output planned)
        if (codesIn && n.op() == OpType.MAXPOOL2D && PoolOps.spec(n).symmetricFloor()) {
            var s = PoolOps.spec(n);
            return (v, b) -> b.qmaxPool2d((QTensor) v.get(in), s);
        }
        if (codesIn && n.op() == OpType.FLATTEN) {
            return (v, b) -> {
                QTensor x = (QTensor) v.get(in);
                return b.qreshape(x, GraphPredictor.batchShape(outShape, x.shape().dim(0)), null);
            };
        }
        if (n.op() == OpType.DROPOUT) return (v, b) -> v.get(in);
        Int8Steps.Step codes = Int8Steps.plan(n, model, shapes, backend); // issue 17: tables, arithmetic, concat, depthwise, ... on codes
        if (codes != null) return codes;
        return floatStep(n, shapes);
    }

    private Int8Steps.Step gemmStep(Node n) {
        QuantizedWeight w = model.weights().get(n.name());
        String in = n.inputs().get(0);
        QParams qout = model.activations().get(n.name());
        QuantParams out = qout == null ? null : Int8Steps.params(qout);
        QWeight qw = backend.prepareQWeight(w.codes(), w.shape(), w.scales(), 1);
        float[] bias = Int8Steps.onGrid(model, n, model.activations().get(in), w); // what QLinearConv/QGemm add (issue 18)
        boolean relu = FusedRelu.on(n);
        if (n.op() == OpType.CONV2D) {
            Conv2dSpec spec = Conv2dOp.spec(n);
            return out == null ? (v, b) -> b.qconv2dFloat((QTensor) v.get(in), qw, bias, spec, relu)
                    : (v, b) -> b.qconv2d((QTensor) v.get(in), qw, bias, spec, relu, out);
        }
        return out == null ? (v, b) -> b.qlinearFloat((QTensor) v.get(in), qw, bias, relu)
                : (v, b) -> b.qlinear((QTensor) v.get(in), qw, bias, relu, out);
    }

    /**
     * The node's own float op on the dequantised input(s), requantised when its output is planned. ADD, CONCAT and
     * two-input arithmetic call the backend op; every other op runs as a one-node graph through {@link GraphRunner}.
     * Temporaries are closed here; the result belongs to the call.
     */
    private Int8Steps.Step floatStep(Node n, Map<String, Shape> shapes) {
        floatNodes.add(n);
        usesFloatOps = true;
        QParams qout = model.activations().get(n.name());
        QuantParams out = qout == null ? null : Int8Steps.params(qout);
        Int8Steps.Step f;
        if (n.op() == OpType.ADD && n.inputs().size() == 2 && shapes.get(n.inputs().get(0)).equals(shapes.get(n.inputs().get(1)))) {
            f = (v, b) -> twoFloats(v, n, b, (x, y) -> b.add(x, y));
        } else if (n.op() == OpType.CONCAT) { // shapes family (issue 17): several inputs
            int axis = n.intAttr("axis") + 1;
            f = (v, b) -> {
                List<Tensor> parts = new ArrayList<>();
                try {
                    for (String i : n.inputs()) parts.add(v.get(i) instanceof QTensor q ? b.dequantize(q) : null);
                    List<Tensor> use = new ArrayList<>();
                    for (int i = 0; i < parts.size(); i++) use.add(parts.get(i) != null ? parts.get(i) : (Tensor) v.get(n.inputs().get(i)));
                    return b.concat(use, axis);
                } finally {
                    for (Tensor t : parts) if (t != null) t.close();
                }
            };
        } else if (n.inputs().size() == 2) {
            // pointwise family (issue 17): SUB/MUL/DIV or a broadcasting ADD of two tensors (a squeeze-excitation gate) in float
            Binary kind = ArithmeticOp.kindOf(n.op());
            if (kind == null) throw new IllegalArgumentException("node " + n.name() + " (" + n.op() + ") reads 2 inputs; the int8 engine cannot run it");
            f = (v, b) -> twoFloats(v, n, b, (x, y) -> b.binary(kind, x, y));
        } else {
            Graph single = singleNodeGraph(n, shapes);
            f = (v, b) -> {
                Object x = v.get(n.inputs().get(0));
                Tensor t = x instanceof QTensor q ? b.dequantize(q) : null;
                try (GraphRunner run = new GraphRunner(single, b, false, 0)) {
                    Tensor y = run.forward(t != null ? t : (Tensor) x);
                    return b.fromFloats(y.toFloatArray(), y.shape()); // the runner frees y at its close
                } finally {
                    if (t != null) t.close();
                }
            };
        }
        if (out == null) return f;
        return (v, b) -> {
            try (Tensor y = (Tensor) f.run(v, b)) {
                return b.quantize(y, out);
            }
        };
    }

    /** {@code op} on the float values of the node's two inputs (dequantised temporaries closed here). */
    private static Tensor twoFloats(Map<String, Object> v, Node n, Backend b, java.util.function.BinaryOperator<Tensor> op) {
        Object a = v.get(n.inputs().get(0)), c = v.get(n.inputs().get(1));
        Tensor ta = a instanceof QTensor q ? b.dequantize(q) : null, tc = c instanceof QTensor q ? b.dequantize(q) : null;
        try {
            return op.apply(ta != null ? ta : (Tensor) a, tc != null ? tc : (Tensor) c);
        } finally {
            if (ta != null) ta.close();
            if (tc != null) tc.close();
        }
    }

    /**
     * Exactly the nodes this engine runs as their float op on dequantised inputs, as "node X (SIGMOID)" (a conv
     * with its form: "node X (CONV2D, 4 groups)"): what has no int8 step (average pools, REDUCE_MEAN, softmax,
     * general grouped or dilated convs, unfolded BN), nodes kept in float and nodes reading a float tensor. Int8 GEMMs, the int8 steps of {@link Int8Steps}, code pass-throughs (max-pool,
     * flatten, dropout) and a skipped final Softmax are not listed.
     */
    public List<String> floatFallbacks() {
        List<String> out = new ArrayList<>();
        for (Node n : floatNodes) {
            String form = n.op() == OpType.CONV2D && !Conv2dOp.spec(n).plain() ? ", " + Conv2dOp.spec(n).notPlain() : "";
            out.add("node " + n.name() + " (" + n.op() + form + ")");
        }
        return out;
    }

    private Graph singleNodeGraph(Node n, Map<String, Shape> shapes) {
        Map<String, Parameter> params = new HashMap<>();
        for (Parameter p : floatGraph.params().values()) if (p.name().startsWith(n.name() + ".")) params.put(p.name(), p);
        Node only = new Node(n.name(), n.op(), List.of(Graph.INPUT), n.attrs());
        Shape in = shapes.get(n.inputs().get(0));
        return new Graph(model.name() + "/" + n.name(), in, List.of(only), n.name(), params);
    }

    /** Refuses new calls, waits for those in flight, frees the float parameters; again: nothing. */
    @Override
    public void close() {
        guard.close(() -> {
            for (Parameter p : floatGraph.params().values()) p.value().close();
        });
    }
}
