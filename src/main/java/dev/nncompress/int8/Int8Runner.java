package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.CallGuard;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.Predictor;
import dev.nncompress.graph.Value;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An {@link Int8Model} as a {@link Predictor} on one backend: runs the model end to end in int8 where the model is
 * int8, as {@link Backend} int8 ops (issue 21). {@link Int8Plan} gives each node its step (an int8 GEMM with the
 * requantisation fused into its epilogue, an op on codes, or the node's float op on the dequantised input(s), which
 * is what {@code SimulatedInt8} measures; {@link #floatFallbacks()} names exactly those nodes), and
 * {@link GraphRunner}, the runner of float graphs, executes the plan over the model's float graph: it walks the
 * nodes, keeps each node's value (int8 codes or a float tensor), times the nodes and frees the pass. This class
 * quantises the input, takes a large batch through the model in parts ({@code Backend.int8PassBytes}; side by side on
 * the backend's int8 threads, {@code Backend.int8ForPasses}) and
 * dequantises the logits. Any backend with the int8 ops runs it (reference: the Java twin; cpu: our JNI kernels;
 * cuda: codes on the device, one upload and one download a batch).
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
    private final Int8Plan plan;
    /** Nanoseconds spent per node (index 0: quantising the input), summed over every call of every thread: where the time goes. */
    private final AtomicLongArray nanos;
    private final CallGuard guard;
    /** Images per pass through the model: activations of about {@code Backend.int8PassBytes()} stay in cache between layers. */
    private final int passImages;

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
        this.plan = new Int8Plan(model, floatGraph, backend);
        nanos = new AtomicLongArray(model.nodes().size() + 1);
        long pass = backend.int8PassBytes();
        passImages = pass <= 0 ? Integer.MAX_VALUE : (int) Math.max(1, Math.min(Integer.MAX_VALUE, pass / plan.largestActivation()));
        // the float ops' limit counts only when some step runs them (int8 student: none; 8 calls at once beat 2
        // there, measured 1.0-1.2x against 0.9-1.0x one thread's images/s)
        guard = new CallGuard("predictor " + model.name(), plan.usesFloatOps() ? Math.min(backend.int8ParallelCalls(), backend.parallelCalls())
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
        Map<String, Double> out = new LinkedHashMap<>();
        out.put(Graph.INPUT, nanos.get(0) / 1e6);
        for (int i = 0; i < model.nodes().size(); i++) out.put(model.nodes().get(i).name(), nanos.get(i + 1) / 1e6);
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
    public String summary() { return plan.summary(); }

    /**
     * Exactly the nodes this engine runs as their float op on dequantised inputs, as "node X (SIGMOID)" (a conv
     * with its form: "node X (CONV2D, 4 groups)"): what has no int8 step (average pools, REDUCE_MEAN, softmax,
     * general grouped or dilated convs, unfolded BN), nodes kept in float and nodes reading a float tensor. Int8 GEMMs, the int8 steps of {@link Int8Steps}, code pass-throughs (max-pool,
     * flatten, dropout) and a skipped final Softmax are not listed.
     */
    public List<String> floatFallbacks() { return plan.floatFallbacks(); }

    @Override
    @SuppressWarnings("try") // the guard is held, not used
    public float[] logits(float[] images, int n) {
        Shape sample = model.inputShape();
        if ((long) n * sample.numel() != images.length) {
            throw new IllegalArgumentException("int8 model " + model.name() + " expects " + n + " x " + sample + " input values, got " + images.length);
        }
        try (CallGuard.Use call = guard.enter()) {
            if (passImages >= n) return run(images, n);
            // passes of about equal size, each a whole pass through the model (int8speed: ~1 MB of codes stays in
            // cache), side by side on the backend's int8 threads
            int per = (int) sample.numel();
            Logits out = new Logits(n);
            backend.int8ForPasses(n, passImages, (from, to) -> out.put(from, to, run(Arrays.copyOfRange(images, from * per, to * per), to - from)));
            return out.values();
        }
    }

    /** The logits of a batch, filled pass by pass (from several threads). */
    private static final class Logits {
        private final int n;
        private float[] values;

        Logits(int n) { this.n = n; }

        synchronized void put(int from, int to, float[] part) {
            int width = part.length / (to - from);
            if (values == null) values = new float[Math.multiplyExact(n, width)];
            System.arraycopy(part, 0, values, from * width, part.length);
        }

        synchronized float[] values() { return values; }
    }

    /** One pass of {@code n} images through the model: the plan on {@link GraphRunner}, timed per node. */
    private float[] run(float[] images, int n) {
        // the scope frees what the call made without a Cleaner each (cpu backend), after the pass closed it all
        try (Backend.Scope scope = backend.scope(); GraphRunner pass = new GraphRunner(floatGraph, backend, plan.runSteps(), nanos)) {
            long t = System.nanoTime();
            try (Value x = input(images, n)) {
                nanos.addAndGet(0, System.nanoTime() - t);
                return floats(pass.forward(x, GraphRunner.OutputHook.NONE));
            }
        }
    }

    /**
     * Every node's output (and the input's, under {@code Graph.INPUT}) for {@code n} images, as float NCHW values
     * (codes dequantised): where a layer departs from another runtime's (issue 18's QDQ comparison). One call.
     */
    public Map<String, float[]> trace(float[] images, int n) {
        try (GraphRunner pass = new GraphRunner(floatGraph, backend, plan.steps(), null); Value x = input(images, n)) {
            pass.forward(x, GraphRunner.OutputHook.NONE);
            Map<String, float[]> out = new LinkedHashMap<>();
            out.put(Graph.INPUT, floats(pass.value(Graph.INPUT)));
            for (var node : model.nodes()) out.put(node.name(), floats(pass.value(node.name())));
            return out;
        }
    }

    /** The input, quantised where the model reads codes. The caller closes it (the runner does not own its input). */
    private Value input(float[] images, int n) {
        Shape batch = GraphPredictor.batchShape(model.inputShape(), n);
        return plan.inputParams() == null ? Value.of(backend.fromFloats(images, batch)) : Value.of(backend.quantize(images, batch, plan.inputParams()));
    }

    /** A value's float NCHW contents (codes dequantised into a temporary). */
    private float[] floats(Value v) {
        if (v instanceof Value.Floats f) return f.tensor().toFloatArray();
        try (Tensor t = backend.dequantize(v.codes())) {
            return t.toFloatArray();
        }
    }

    /** Refuses new calls, waits for those in flight, frees the float parameters; again: nothing. */
    @Override
    public void close() {
        guard.close(() -> {
            for (Parameter p : floatGraph.params().values()) p.value().close();
        });
    }
}
