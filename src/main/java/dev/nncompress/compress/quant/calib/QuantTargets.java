package dev.nncompress.compress.quant.calib;

import dev.nncompress.compress.quant.Observer;
import dev.nncompress.compress.quant.Observers;
import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.int8.Int8Forms;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one place that decides what of a prepared graph is quantised (issue 6: "one place in
 * compress/quant/ decides where"). The rule, for a graph after {@code GraphPreparation.forInference}:
 *
 * <ul>
 *   <li><b>Weights</b>: every {@code CONV2D} and {@code LINEAR} node's {@code <node>.weight}, symmetric
 *       int8 per output channel ({@link Observers#weightObserver()}). Biases stay float here: the int8
 *       engine turns them into int32 with scale = weight scale x input scale, so they need no observer.</li>
 *   <li><b>Activations with their own observer</b> ({@link #ACTIVATION_SCHEME}, per tensor; symmetric under
 *       {@link QuantPreset#TENSORRT}, whose weights are also narrow-range, max|w| / 127): the graph
 *       input, and the output of every node that computes new values: {@code CONV2D}/{@code LINEAR}
 *       (after the fused ReLU, i.e. what the requantising epilogue writes), {@code AVGPOOL2D},
 *       {@code GLOBAL_AVGPOOL}, {@code ADD}, an unfused {@code RELU} (after a residual add) and a
 *       {@code BATCHNORM2D} that could not be folded.</li>
 *   <li><b>Activations that inherit their input's parameters</b> ({@link #aliases()}): {@code MAXPOOL2D},
 *       {@code FLATTEN} and {@code DROPOUT} (identity at inference). Max-pooling commutes with the
 *       monotone quantisation map and flatten is a reshape, so an int8 engine passes codes through with
 *       the producer's scale and zero point; a separate observer could only add a requantisation.</li>
 *   <li><b>Excluded</b> nodes (option {@code --exclude}) keep float weights and a float output; a node
 *       aliasing an excluded (or otherwise float) tensor stays float too.</li>
 *   <li><b>Float convolutions</b> ({@link #floatNodes()}): a grouped conv that is not depthwise (1 < groups <
 *       input channels) and a dilated or asymmetrically padded ungrouped one keep their float weight, because
 *       the int8 GEMM takes plain convs and {@code int8.Int8Forms} depthwise ones (any stride, dilation,
 *       padding); the int8 engine runs it as its float op on the dequantised input and requantises its
 *       (observed) output. A depthwise conv's weight is int8 per output channel like any other.</li>
 *   <li>Every other node that computes values (the activations, arithmetic, CONCAT, pools, reshapes) has its
 *       own observer, so its output range is calibrated: the int8 engine's tables, adds and concats
 *       requantise to it.</li>
 * </ul>
 */
public final class QuantTargets {
    /**
     * Activations: affine int8 per tensor, so that a ReLU output [0, t] uses all 256 codes (zero point
     * -128; the int8 GEMM's activation-zero-point epilogue handles it) and signed tensors (input, logits,
     * adds) are not wasted on one side either.
     */
    public static final QScheme ACTIVATION_SCHEME = QScheme.perTensorAffine(QDType.INT8);

    private final Graph graph;
    private final List<String> weightNodes;
    private final List<String> observedActivations;
    private final Map<String, String> aliases;
    private final Set<String> excluded;
    private final Map<String, String> floatNodes;
    private final QuantPreset preset;

    private QuantTargets(Graph graph, List<String> weightNodes, List<String> observed, Map<String, String> aliases, Set<String> excluded,
                         Map<String, String> floatNodes, QuantPreset preset) {
        this.graph = graph;
        this.preset = preset;
        this.floatNodes = Collections.unmodifiableMap(floatNodes);
        this.weightNodes = Collections.unmodifiableList(weightNodes);
        this.observedActivations = Collections.unmodifiableList(observed);
        this.aliases = Collections.unmodifiableMap(aliases);
        this.excluded = Collections.unmodifiableSet(excluded);
    }

    public static QuantTargets of(Graph prepared) { return of(prepared, Set.of()); }

    /** @param excluded node names (or {@link Graph#INPUT}) to keep in float; each must exist in the graph */
    public static QuantTargets of(Graph prepared, Set<String> excluded) { return of(prepared, excluded, QuantPreset.DEFAULT); }

    /** As {@link #of(Graph, Set)}, quantising to {@code preset}'s schemes (TensorRT's: symmetric activations, narrow-range weights). */
    public static QuantTargets of(Graph prepared, Set<String> excluded, QuantPreset preset) {
        if (preset == null) throw new IllegalArgumentException("QuantTargets: preset must not be null");
        Set<String> known = new LinkedHashSet<>();
        known.add(Graph.INPUT);
        for (Node n : prepared.nodes()) known.add(n.name());
        for (String e : excluded) {
            if (!known.contains(e)) {
                throw new IllegalArgumentException("excluded node '" + e + "' is not in graph " + prepared.name() + "; its nodes: " + String.join(", ", known));
            }
        }
        List<String> weights = new ArrayList<>();
        List<String> observed = new ArrayList<>();
        Map<String, String> aliases = new LinkedHashMap<>();
        if (!excluded.contains(Graph.INPUT)) observed.add(Graph.INPUT);
        Set<String> quantised = new LinkedHashSet<>(observed); // tensors that are int8 in the simulated engine
        Map<String, String> floatNodes = new LinkedHashMap<>();
        for (Node n : prepared.nodes()) {
            if (excluded.contains(n.name())) continue;
            String floatReason = floatReason(n, prepared);
            if (floatReason != null) floatNodes.put(n.name(), floatReason);
            else if (hasWeight(n.op())) weights.add(n.name());
            if (inheritsInputParams(n.op())) {
                String in = n.inputs().get(0);
                if (quantised.contains(in)) {
                    aliases.put(n.name(), aliases.getOrDefault(in, in));
                    quantised.add(n.name());
                }
            } else {
                observed.add(n.name());
                quantised.add(n.name());
            }
        }
        return new QuantTargets(prepared, weights, observed, aliases, new LinkedHashSet<>(excluded), floatNodes, preset);
    }

    /**
     * Why node {@code n}'s weight stays float although its op has one, or null (conv family, issue 17): the int8
     * engine runs plain convs (GEMM) and depthwise ones ({@code Int8Depthwise}, any stride, dilation, padding).
     */
    static String floatReason(Node n, Graph g) {
        if (n.op() != OpType.CONV2D) return null;
        dev.nncompress.backend.Conv2dSpec s = dev.nncompress.graph.ops.Conv2dOp.spec(n);
        if (s.plain() || Int8Forms.depthwise(n, g.param(n.paramName("weight")).value().shape())) return null;
        return "node " + n.name() + " (CONV2D, " + s.notPlain() + ") runs in float: the int8 kernels take plain convs (one group, "
                + "no dilation, symmetric padding) and depthwise ones (groups = input channels)";
    }

    /** Nodes with a weight that stay float and why, one line each (the int8 engine runs them as float ops). */
    public Map<String, String> floatNodes() { return floatNodes; }

    static boolean hasWeight(OpType op) { return op == OpType.CONV2D || op == OpType.LINEAR; }

    static boolean inheritsInputParams(OpType op) { return op == OpType.MAXPOOL2D || op == OpType.FLATTEN || op == OpType.DROPOUT; }

    public Graph graph() { return graph; }

    /** Nodes whose weight is quantised per output channel, in graph order. */
    public List<String> weightNodes() { return weightNodes; }

    /** Tensors (the input, node outputs) with their own observer, in graph order. */
    public List<String> observedActivations() { return observedActivations; }

    /** node -> the observed tensor whose parameters its output reuses. */
    public Map<String, String> aliases() { return aliases; }

    /**
     * The aliases whose output values are their input's values, picked or moved ({@code MAXPOOL2D}, {@code FLATTEN}):
     * their input is on the grid of their source's parameters (fake-quantised with them, or such an alias's output), and
     * fake quantisation is the identity there bit for bit, its mask all ones (q = (c - zp) s with |c - zp| <= 255
     * and a normal s divides back to within far less than half a step of c - zp). So a training pass may leave them
     * as they are, as PyTorch's eager QAT has no fake quantisation after a pool (issue 23). Not {@code DROPOUT}: in
     * training it scales its input off the grid.
     */
    public Set<String> gridPreservingAliases() {
        Set<String> out = new LinkedHashSet<>();
        for (Node n : graph.nodes()) {
            if (aliases.containsKey(n.name()) && (n.op() == OpType.MAXPOOL2D || n.op() == OpType.FLATTEN)) out.add(n.name());
        }
        return out;
    }

    public Set<String> excluded() { return excluded; }

    public QuantPreset preset() { return preset; }

    /** The scheme of every observed activation ({@link QuantPreset#activationScheme()}). */
    public QScheme activationScheme() { return preset.activationScheme(); }

    /** The observer of {@code node}'s weight. */
    public Observer newWeightObserver() { return Observers.weightObserver(); }

    /** Per-output-channel parameters of {@code node}'s weight as it is now (PTQ once; QAT every step and at the end). */
    public QParams weightParams(String node) {
        if (!weightNodes.contains(node)) throw new IllegalArgumentException("node '" + node + "' has no quantised weight; quantised weights: " + weightNodes);
        Tensor w = graph.param(node + ".weight").value();
        Observer o = newWeightObserver();
        o.observe(w.toFloatArray(), w.shape());
        if (preset != QuantPreset.TENSORRT) return o.qparams();
        QRange r = o.range(); // narrow range: max|w| / 127 per channel, codes in [-127, 127]
        float[] amax = new float[r.mins().length];
        for (int c = 0; c < amax.length; c++) amax[c] = Math.max(-r.mins()[c], r.maxs()[c]);
        return QuantPreset.narrowWeightParams(amax);
    }

    /**
     * The plan for the graph as it is now: every weight's parameters from its current values, the observed
     * activations' from {@code activations} (one entry per {@link #observedActivations()}), each alias
     * sharing its source's. PTQ's {@link Calibrator} and QAT both end here, so their plans have one shape.
     */
    public QuantPlan plan(String observer, int images, Map<String, QParams> activations) {
        Map<String, QParams> w = new LinkedHashMap<>();
        for (String n : weightNodes) w.put(n, weightParams(n));
        Map<String, QParams> a = new LinkedHashMap<>();
        for (String t : observedActivations) {
            QParams p = activations.get(t);
            if (p == null) throw new IllegalArgumentException("no activation parameters for '" + t + "'");
            a.put(t, p);
        }
        for (Map.Entry<String, String> e : aliases.entrySet()) a.put(e.getKey(), a.get(e.getValue()));
        return new QuantPlan(graph.name(), observer, images, w, a, excluded);
    }

    /** An activation observer of the named kind for the default preset; unknown names fail with the list of known ones. */
    public static Observer newActivationObserver(String observerName) { return Observers.create(observerName, ACTIVATION_SCHEME); }

    /** An activation observer of the named kind for this preset's scheme. */
    public Observer activationObserver(String observerName) { return Observers.create(observerName, activationScheme()); }
}
