package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.CallGuard;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.Predictor;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.backend.Binary;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.graph.ops.PoolOps;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Runs an {@link Int8Model} end to end in int8 where the model is int8: the graph input is quantised
 * once, each quantised CONV2D/LINEAR whose input has activation parameters is an int8 im2col + int8 GEMM
 * with int32 accumulation and the requantisation (scale, bias, ReLU, output scale and zero point) fused
 * into the GEMM's epilogue, so int8 codes flow from layer to layer (NHWC); max-pool, flatten and dropout
 * pass codes through. Issue 17's ops run on codes too ({@link Int8Steps}): depthwise convs (int32 sums),
 * activations and unfused ReLUs (256-entry tables), arithmetic with broadcasting or a constant (per element
 * in float, requantised), concat (inputs requantised to the output's scale), global average pools and
 * reshapes. Everything else (average pools, softmax, unfolded BN, general grouped or dilated convs, layers
 * kept in float, nodes reading a float tensor) runs its float op on the dequantised input(s) on
 * {@code floatBackend} and is requantised when its output is planned, which is what {@code SimulatedInt8}
 * measures; {@link #floatFallbacks()} names exactly those nodes. The output is dequantised to float logits.
 *
 * <p>Thread-safe: each call takes a {@link Workspace} of its own from a pool (so no two calls in flight
 * share a code buffer) and returns it at the end; the packed weights are only read. At most as many
 * calls run at once as the kernels allow, and the float backend where some step runs on it
 * ({@code parallelCalls()}); the others wait their turn. {@link #close()} waits for the calls running,
 * then frees the float parameters; later calls fail with "predictor NAME is closed".
 */
public final class Int8Runner implements Predictor {
    private final Int8Model model;
    private final Int8Kernels kernels;
    private final Backend floatBackend;
    private final Graph floatGraph;
    private final List<Step> steps = new ArrayList<>();
    /** Nanoseconds spent per node (index 0: quantising the input), summed over every call of every thread: where the time goes. */
    private final AtomicLongArray nanos;
    /** Workspaces of finished calls, most recent first (its buffers are the likeliest still in cache). */
    private final ConcurrentLinkedDeque<Workspace> idle = new ConcurrentLinkedDeque<>();
    private final CallGuard guard;
    /** Images per pass through the model: activations of about {@link Int8Kernels#passBytes} stay in cache between layers. */
    private final int passImages;
    /** Whether some step runs an op of the float backend (set while planning). */
    private boolean usesFloatBackend;
    /** The nodes planned as float steps (their float op on dequantised inputs), in graph order. */
    private final List<Node> floatNodes = new ArrayList<>();
    /** A final Softmax over the classes that {@link #logits} skips (graph.Logits), or null. */
    private final String skippedSoftmax;

    /**
     * One call's int8 code arrays, per node (slot 0: the input), kept for the next call of the same batch
     * size: a fresh multi-megabyte array per layer per batch cost more in page faults and zeroing than
     * the student's layers compute. A workspace belongs to one call at a time; the codes never leave the
     * runner (logits are new floats).
     */
    private static final class Workspace {
        final byte[][] codes;

        Workspace(int slots) { codes = new byte[slots][]; }

        /** The code array of slot {@code slot} (0: input, i + 1: node i), {@code len} long. */
        byte[] codes(int slot, int len) {
            byte[] b = codes[slot];
            if (b == null || b.length != len) codes[slot] = b = new byte[len];
            return b;
        }
    }

    /** One node's computation on the batch's activations so far, writing codes into the call's workspace. */
    private interface Step {
        Activation run(Map<String, Activation> values, Workspace ws);
    }

    public Int8Runner(Int8Model model, Int8Kernels kernels, Backend floatBackend) {
        this.model = model;
        this.kernels = kernels;
        this.floatBackend = floatBackend;
        this.floatGraph = model.floatGraph(floatBackend);
        this.skippedSoftmax = Logits.endsWithSoftmax(floatGraph) ? model.output() : null;
        Map<String, Shape> shapes = floatGraph.inferShapes();
        shapes.put(Graph.INPUT, model.inputShape());
        for (Node n : model.nodes()) steps.add(plan(n, shapes, steps.size() + 1)); // shapes inferred once: plan is linear in nodes
        nanos = new AtomicLongArray(steps.size() + 1);
        // the float backend's limit counts only when some step runs on it (int8 student: none; 8 calls at once
        // beat 2 there, measured 1.0-1.2x against 0.9-1.0x one thread's images/s)
        long largest = model.inputShape().numel(); // int8 codes per image of the largest activation
        for (Node n : model.nodes()) largest = Math.max(largest, shapes.get(n.name()).numel());
        passImages = kernels.passBytes() <= 0 ? Integer.MAX_VALUE : (int) Math.max(1, Math.min(Integer.MAX_VALUE, kernels.passBytes() / largest));
        guard = new CallGuard("predictor " + model.name(), usesFloatBackend ? Math.min(kernels.parallelCalls(), floatBackend.parallelCalls())
                : kernels.parallelCalls());
    }

    /** Milliseconds spent so far per node ("input" = quantising the input), in execution order. */
    public Map<String, Double> millisPerNode() {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        out.put(Graph.INPUT, nanos.get(0) / 1e6);
        for (int i = 0; i < steps.size(); i++) out.put(model.nodes().get(i).name(), nanos.get(i + 1) / 1e6);
        return out;
    }

    /** The kernels this runner computes with ("native-avx512vnni", "java", ...). */
    public Int8Kernels kernels() { return kernels; }

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
            Workspace ws = idle.pollFirst();
            if (ws == null) ws = new Workspace(steps.size() + 1);
            if (passImages >= n) {
                float[] logits = run(images, n, sample, ws);
                idle.offerFirst(ws); // not on failure: a half-written workspace is dropped, not reused
                return logits;
            }
            // parts of equal size but the last; the last has a workspace of its own, so that neither is resized per call
            Workspace last = idle.pollFirst();
            if (last == null) last = new Workspace(steps.size() + 1);
            int parts = (n + passImages - 1) / passImages, size = (n + parts - 1) / parts;
            float[] logits = inParts(images, n, sample, size, ws, last);
            idle.offerFirst(last);
            idle.offerFirst(ws);
            return logits;
        }
    }

    /** The batch through the whole model {@code size} images at a time (see {@link #passImages}). */
    private float[] inParts(float[] images, int n, Shape sample, int size, Workspace ws, Workspace last) {
        int per = (int) sample.numel();
        float[] out = null;
        int width = 0;
        for (int i = 0; i < n; i += size) {
            int m = Math.min(size, n - i);
            float[] part = run(Arrays.copyOfRange(images, i * per, (i + m) * per), m, sample, i + size < n ? ws : last);
            if (out == null) {
                width = part.length / m;
                out = new float[Math.multiplyExact(n, width)];
            }
            System.arraycopy(part, 0, out, i * width, m * width);
        }
        return out;
    }

    /**
     * Every node's output (and the input's, under {@code Graph.INPUT}) for {@code n} images, as float NCHW values
     * (codes dequantised): where a layer departs from another runtime's (issue 18's QDQ comparison). One call, own workspace.
     */
    public Map<String, float[]> trace(float[] images, int n) {
        Map<String, Activation> values = new HashMap<>();
        Workspace ws = new Workspace(steps.size() + 1);
        QParams qin = model.activations().get(Graph.INPUT);
        values.put(Graph.INPUT, qin == null ? new Activation.Floats(images, n, model.inputShape()) : quantizeInput(images, n, model.inputShape(), qin, ws));
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        out.put(Graph.INPUT, Activation.floats(values.get(Graph.INPUT)));
        for (int i = 0; i < steps.size(); i++) {
            String name = model.nodes().get(i).name();
            values.put(name, steps.get(i).run(values, ws));
            out.put(name, Activation.floats(values.get(name)));
        }
        return out;
    }

    private float[] run(float[] images, int n, Shape sample, Workspace ws) {
        Map<String, Activation> values = new HashMap<>();
        Activation x = new Activation.Floats(images, n, sample);
        QParams qin = model.activations().get(Graph.INPUT);
        long t = System.nanoTime();
        values.put(Graph.INPUT, qin == null ? x : quantizeInput(images, n, sample, qin, ws));
        for (int i = 0; i < steps.size(); i++) {
            long t1 = System.nanoTime();
            nanos.addAndGet(i, t1 - t);
            t = t1;
            values.put(model.nodes().get(i).name(), steps.get(i).run(values, ws));
        }
        nanos.addAndGet(steps.size(), System.nanoTime() - t);
        return Activation.floats(values.get(model.output()));
    }

    private Activation.Codes quantizeInput(float[] images, int n, Shape sample, QParams q, Workspace ws) {
        byte[] codes = ws.codes(0, images.length);
        int c = sample.rank() == 3 ? sample.dim(0) : 1;
        kernels.quantizeToNhwc(images, n, c, sample.numel() / c, q.scale(0), q.zeroPoint(0), codes);
        return Activation.Codes.of(codes, n, sample, q);
    }

    private boolean runsInt8Gemm(Node n) {
        return model.weights().containsKey(n.name()) && model.activations().containsKey(n.inputs().get(0))
                && !Int8Depthwise.accepts(n, model.weights().get(n.name()).shape());
    }

    private Step plan(Node n, Map<String, Shape> shapes, int slot) {
        String in = n.inputs().get(0);
        // logits are what a caller of logits() wants (eval's loss, a teacher's temperature): the softmax's input, as is
        if (n.name().equals(skippedSoftmax)) return (v, ws) -> v.get(in);
        boolean codesIn = model.activations().containsKey(in);
        Shape inShape = shapes.get(in), outShape = shapes.get(n.name());
        if (runsInt8Gemm(n)) return gemmStep(n, inShape, outShape, slot);
        // the kernels' int8 max-pool takes symmetric floor-mode windows; Int8Steps pools the other forms' codes
        if (codesIn && n.op() == OpType.MAXPOOL2D && PoolOps.spec(n).symmetricFloor()) {
            Pool2dSpec s = PoolOps.spec(n);
            return (v, ws) -> {
                Activation.Codes x = (Activation.Codes) v.get(in);
                byte[] y = ws.codes(slot, Math.multiplyExact(x.n(), outShape.numel()));
                kernels.maxPool(x.data(), x.n(), inShape.dim(1), inShape.dim(2), inShape.dim(0), s, y);
                return new Activation.Codes(y, x.n(), outShape, x.scale(), x.zeroPoint());
            };
        }
        if (codesIn && n.op() == OpType.FLATTEN) {
            return (v, ws) -> {
                Activation.Codes c = (Activation.Codes) v.get(in);
                byte[] d = c.data();
                if (c.sample().rank() == 3 && c.sample().dim(0) > 1) {
                    d = ws.codes(slot, d.length);
                    kernels.nhwcToNchw(c.data(), c.n(), c.sample().dim(1) * c.sample().dim(2), c.sample().dim(0), d);
                }
                return new Activation.Codes(d, c.n(), outShape, c.scale(), c.zeroPoint());
            };
        }
        if (n.op() == OpType.DROPOUT) return (v, ws) -> v.get(in);
        Int8Steps.CodeStep codes = Int8Steps.plan(n, model, shapes); // issue 17: tables, arithmetic, concat, depthwise, ... on codes
        if (codes != null) return (v, ws) -> codes.run(v, len -> ws.codes(slot, len));
        return floatStep(n, outShape, shapes);
    }

    private Step gemmStep(Node n, Shape inShape, Shape outShape, int slot) {
        QuantizedWeight w = model.weights().get(n.name());
        QParams qin = model.activations().get(n.inputs().get(0));
        QParams qout = model.activations().get(n.name());
        boolean conv = n.op() == OpType.CONV2D;
        byte[] rows = conv ? Layouts.oihwToOhwi(w.codes(), w.shape()) : w.codes();
        Int8Kernels.PackedS8 packed = kernels.pack(rows, w.outChannels(), w.rowLength());
        FloatParam bias = model.floats().get(n.paramName("bias"));
        float[] scales = GemmS8Epilogue.combinedScales(qin.scale(0), w.scales());
        boolean relu = FusedRelu.on(n);
        float[] b = bias == null ? null : Int32Bias.onGrid(bias.values(), scales); // what QLinearConv/QGemm add (issue 18)
        GemmS8Epilogue e = (qout == null ? GemmS8Epilogue.f32(scales, b, relu)
                : GemmS8Epilogue.s8(scales, b, relu, qout.scale(0), qout.zeroPoint(0)))
                .withActivationZeroPoint(qin.zeroPoint(0), packed.rowSums());
        int o = w.outChannels();
        Conv2dSpec spec = conv ? Conv2dOp.spec(n) : null;
        boolean pointwise = conv && w.shape().dim(2) == 1 && w.shape().dim(3) == 1 && spec.equals(Conv2dSpec.of(1, 0));
        return (v, ws) -> {
            Activation.Codes x = (Activation.Codes) v.get(n.inputs().get(0));
            ConvGeometry g = conv ? new ConvGeometry(x.n(), inShape.dim(0), inShape.dim(1), inShape.dim(2), o, w.shape().dim(2),
                    w.shape().dim(3), outShape.dim(1), outShape.dim(2), spec) : null;
            int m = conv ? Math.multiplyExact(x.n(), g.p()) : x.n();
            int size = Math.multiplyExact(m, o); // the batch's output: too large is an exception, never a wrapped size
            GemmS8Output out = qout != null ? GemmS8Output.ofS8(ws.codes(slot, size)) : GemmS8Output.ofF32(new float[size]);
            // a conv is im2col + GEMM, fused by the kernels; a pointwise conv's NHWC input is its A already
            if (conv && !pointwise) kernels.conv(x.data(), g, (byte) x.zeroPoint(), packed, e, out);
            else kernels.gemm(x.data(), m, packed, e, out);
            if (qout != null) return Activation.Codes.of(out.s8(), x.n(), outShape, qout);
            return new Activation.Floats(conv ? Layouts.nhwcToNchw(out.f32(), x.n(), outShape) : out.f32(), x.n(), outShape);
        };
    }

    /**
     * The node's own float op on the dequantised input(s), requantised when its output is planned. ADD
     * reads two tensors; every other op runs as a one-node graph through {@link GraphRunner}.
     */
    private Step floatStep(Node n, Shape outShape, Map<String, Shape> shapes) {
        floatNodes.add(n);
        QParams qout = model.activations().get(n.name());
        Step f;
        if (n.op() == OpType.ADD && n.inputs().size() == 2 && shapes.get(n.inputs().get(0)).equals(shapes.get(n.inputs().get(1)))) {
            f = (v, ws) -> {
                float[] a = Activation.floats(v.get(n.inputs().get(0)));
                float[] b = Activation.floats(v.get(n.inputs().get(1)));
                float[] y = new float[a.length];
                for (int i = 0; i < y.length; i++) y[i] = a[i] + b[i];
                return new Activation.Floats(y, v.get(n.inputs().get(0)).n(), outShape);
            };
        } else if (n.op() == OpType.CONCAT) { // shapes family (issue 17): several inputs, in float on the float backend
            usesFloatBackend = true;
            int axis = n.intAttr("axis") + 1;
            f = (v, ws) -> {
                List<Tensor> parts = new ArrayList<>();
                try {
                    for (String i : n.inputs()) {
                        Activation a = v.get(i);
                        parts.add(floatBackend.fromFloats(Activation.floats(a), GraphPredictor.batchShape(a.sample(), a.n())));
                    }
                    try (Tensor y = floatBackend.concat(parts, axis)) {
                        return new Activation.Floats(y.toFloatArray(), v.get(n.inputs().get(0)).n(), outShape);
                    }
                } finally {
                    for (Tensor t : parts) t.close();
                }
            };
        } else if (n.inputs().size() == 2) {
            // pointwise family (issue 17): SUB/MUL/DIV or a broadcasting ADD of two tensors (a squeeze-excitation gate) in float
            Binary kind = ArithmeticOp.kindOf(n.op());
            if (kind == null) throw new IllegalArgumentException("node " + n.name() + " (" + n.op() + ") reads 2 inputs; the int8 engine cannot run it");
            usesFloatBackend = true;
            f = (v, ws) -> {
                Activation a = v.get(n.inputs().get(0)), b = v.get(n.inputs().get(1));
                try (Tensor ta = floatBackend.fromFloats(Activation.floats(a), GraphPredictor.batchShape(a.sample(), a.n()));
                     Tensor tb = floatBackend.fromFloats(Activation.floats(b), GraphPredictor.batchShape(b.sample(), b.n()));
                     Tensor y = floatBackend.binary(kind, ta, tb)) {
                    return new Activation.Floats(y.toFloatArray(), a.n(), outShape);
                }
            };
        } else {
            Graph single = singleNodeGraph(n, shapes);
            usesFloatBackend = true;
            f = (v, ws) -> {
                Activation x = v.get(n.inputs().get(0));
                try (GraphRunner run = new GraphRunner(single, floatBackend, false, 0);
                     Tensor t = floatBackend.fromFloats(Activation.floats(x), GraphPredictor.batchShape(x.sample(), x.n()))) {
                    return new Activation.Floats(run.forward(t).toFloatArray(), x.n(), outShape);
                }
            };
        }
        return qout == null ? f : (v, ws) -> Activation.codes(f.run(v, ws), qout);
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

    /** Refuses new calls, waits for those in flight, frees the float parameters and the workspaces; again: nothing. */
    @Override
    public void close() {
        guard.close(() -> {
            idle.clear();
            for (Parameter p : floatGraph.params().values()) p.value().close();
        });
    }
}
