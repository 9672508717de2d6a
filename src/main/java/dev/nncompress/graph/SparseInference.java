package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.SparseWeight;
import dev.nncompress.tensor.Shape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which conv/linear layers of a graph run on the backend's sparse kernels in inference, with their
 * weights prepared once (CSR of the current values). {@link Mode#AUTO} takes a layer sparse when the
 * fraction of zeros in its weight reaches the backend's measured break-even for that layer kind
 * ({@link Backend#sparseBreakEven}); dense otherwise. The weights are a snapshot: make a new plan
 * after the graph's parameters change (a {@link GraphPredictor} makes one when it is created).
 * Training never uses a plan ({@link GraphRunner} refuses one in training mode).
 *
 * <p>Thread-safe: any number of inference passes may use one plan at once (the prepared weights are only
 * read). {@link #close()} waits for the passes in flight ({@link GraphRunner#forward} holds the plan for
 * its duration) before it frees the weights; a pass started after it fails with "sparse plan of
 * MODEL is closed", never on freed native memory.
 */
public final class SparseInference implements AutoCloseable {
    /** auto: by break-even; off: all dense; on: every conv/linear sparse when the backend has kernels (tests, measurements). */
    public enum Mode {
        AUTO, OFF, ON;

        /** auto, off, on: the CLI's spelling ({@code bench --sparse}). */
        @Override
        public String toString() { return name().toLowerCase(java.util.Locale.ROOT); }

        public static Mode parse(String s) {
            for (Mode m : values()) if (m.name().equalsIgnoreCase(s)) return m;
            throw new IllegalArgumentException("sparse mode must be auto, off or on, got '" + s + "'");
        }
    }

    /**
     * One conv/linear layer: its weight's fraction of zeros, whether it runs sparse, and why it never can
     * (null when it may): the sparse kernels take one group, no dilation and symmetric padding (issue 17).
     */
    public record Layer(String node, SparseWeight.Kind kind, double zeros, boolean sparse, String denseOnly) {
        public Layer(String node, SparseWeight.Kind kind, double zeros, boolean sparse) { this(node, kind, zeros, sparse, null); }
    }

    /** No layer sparse, nothing held. */
    public static final SparseInference NONE = new SparseInference("none", Mode.OFF, null, List.of(), Map.of(), Double.NaN, Double.NaN);
    // NONE is every training pass's plan: no shared lock for it
    private static final CallGuard.Use NOTHING_HELD = () -> {};

    private final Mode mode;
    private final String kernels;
    private final List<Layer> layers;
    private final Map<String, SparseWeight> weights;
    private final double convBreakEven;
    private final double linearBreakEven;
    private final CallGuard guard;

    private SparseInference(String model, Mode mode, String kernels, List<Layer> layers, Map<String, SparseWeight> weights, double convBreakEven,
                            double linearBreakEven) {
        this.mode = mode;
        this.kernels = kernels;
        this.layers = layers;
        this.weights = weights;
        this.convBreakEven = convBreakEven;
        this.linearBreakEven = linearBreakEven;
        this.guard = new CallGuard("sparse plan of " + model, Integer.MAX_VALUE); // its users limit themselves
    }

    /** Decides every CONV2D and LINEAR node of {@code g} on {@code backend} and prepares the sparse ones. */
    public static SparseInference plan(Graph g, Backend backend, Mode mode) {
        if (g == null || backend == null || mode == null) throw new IllegalArgumentException("sparse plan: graph, backend and mode must not be null");
        String kernels = backend.sparseKernels();
        double convBe = backend.sparseBreakEven(SparseWeight.Kind.CONV);
        double linBe = backend.sparseBreakEven(SparseWeight.Kind.LINEAR);
        List<Layer> layers = new ArrayList<>();
        Map<String, SparseWeight> weights = new LinkedHashMap<>();
        try {
            for (Node n : g.nodes()) {
                if (n.op() != OpType.CONV2D && n.op() != OpType.LINEAR) continue;
                SparseWeight.Kind kind = n.op() == OpType.CONV2D ? SparseWeight.Kind.CONV : SparseWeight.Kind.LINEAR;
                Parameter p = g.param(n.paramName("weight"));
                float[] w = p.value().toFloatArray();
                int zeros = 0;
                for (float v : w) if (v == 0f) zeros++;
                double z = w.length == 0 ? 0 : (double) zeros / w.length;
                // conv family (issue 17): grouped, dilated or asymmetric convs stay on the dense kernels
                String denseOnly = kind == SparseWeight.Kind.CONV && !dev.nncompress.graph.ops.Conv2dOp.spec(n).plain()
                        ? dev.nncompress.graph.ops.Conv2dOp.spec(n).notPlain() : null;
                boolean sparse = kernels != null && denseOnly == null && switch (mode) {
                    case OFF -> false;
                    case ON -> true;
                    case AUTO -> z >= (kind == SparseWeight.Kind.CONV ? convBe : linBe);
                };
                if (sparse) {
                    Shape s = p.value().shape();
                    weights.put(n.name(), backend.prepareSparse(SparseWeight.csrOf(w, s), s));
                }
                layers.add(new Layer(n.name(), kind, z, sparse, denseOnly));
            }
        } catch (RuntimeException e) {
            weights.values().forEach(SparseWeight::close);
            throw e;
        }
        return new SparseInference(g.name(), mode, kernels, List.copyOf(layers), weights, convBe, linBe);
    }

    /** The prepared weight of {@code node}, or null when it runs dense. */
    public SparseWeight weight(String node) { return weights.get(node); }

    public List<Layer> layers() { return layers; }

    public Mode mode() { return mode; }

    /** True when at least one layer runs sparse. */
    public boolean any() { return !weights.isEmpty(); }

    /** True when some layer runs sparse or has at least half of its weights zero: a pruned model, worth a line of output. */
    public boolean pruned() { return any() || layers.stream().anyMatch(l -> l.zeros() >= 0.5); }

    /**
     * One line for the user, e.g. {@code native-avx512 kernels for conv3 (90% zeros), fc1 (94%); dense for
     * conv1 (5%) [auto, break-even conv 70%, linear 90%]}.
     */
    public String summary() {
        if (layers.isEmpty()) return "no conv or linear layers";
        if (kernels == null && mode != Mode.OFF) return "backend has no sparse kernels; all layers dense";
        List<String> sparse = new ArrayList<>();
        List<String> dense = new ArrayList<>();
        List<String> denseOnly = new ArrayList<>();
        for (Layer l : layers) {
            if (l.denseOnly() != null) {
                denseOnly.add(l.node());
                continue;
            }
            // rounded down, so that a layer just below the break-even never reads as reaching it
            String z = String.format(Locale.ROOT, "%.1f%%", Math.floor(1000 * l.zeros()) / 10);
            (l.sparse() ? sparse : dense).add(l.node() + " (" + (sparse.isEmpty() && l.sparse() ? z + " zeros" : z) + ")");
        }
        StringBuilder sb = new StringBuilder();
        if (!sparse.isEmpty()) sb.append(kernels).append(" kernels for ").append(String.join(", ", sparse));
        if (!dense.isEmpty()) {
            sb.append(sparse.isEmpty() ? "" : "; ").append("dense for ").append(String.join(", ", dense));
            if (sparse.isEmpty()) sb.append(" (zeros)");
        }
        if (!denseOnly.isEmpty()) {
            sb.append(sb.length() == 0 ? "" : "; ").append("dense kernels only for ").append(String.join(", ", denseOnly))
                    .append(" (grouped, dilated or asymmetrically padded convs)");
        }
        sb.append(" [").append(mode.name().toLowerCase(Locale.ROOT));
        if (mode == Mode.AUTO) sb.append(String.format(Locale.ROOT, ", break-even conv %s, linear %s", pct(convBreakEven), pct(linearBreakEven)));
        return sb.append(']').toString();
    }

    private static String pct(double v) { return v > 1 ? "never" : String.format(Locale.ROOT, "%.0f%%", 100 * v); }

    /** Holds the plan open for one inference pass (the weights stay valid until the use is closed). */
    CallGuard.Use use() { return this == NONE ? NOTHING_HELD : guard.enter(); }

    /** Frees the prepared weights, once the passes using them have finished; {@link #NONE} holds nothing and stays usable. */
    @Override public void close() {
        if (this == NONE) return;
        guard.close(() -> weights.values().forEach(SparseWeight::close));
    }
}
