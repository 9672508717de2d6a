package dev.nncompress.compress.prune.structured;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.tensor.Shape;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds which channels of a graph are coupled. A channel space starts at every CONV2D output (and at the
 * graph input); ops that map channel c to channel c (BN, ReLU, pools with any window options, dropout,
 * flatten, a RESHAPE that keeps the channels as its inferred dim0, a REDUCE_MEAN over dims after them, the
 * elementwise activations CLIP, LEAKY_RELU, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH, and an arithmetic node
 * with a constant the same for every channel) carry the space on; an ADD (or SUB, MUL, DIV) of two same-shaped
 * values merges the spaces of both inputs, since pruning channel c of one summand but not the other would
 * misalign the sum. Broadcasting two values (squeeze-excitation), per-channel constants, a CONCAT (its channel
 * offsets) and a reshape that changes the channel dim fix the spaces they read (later slices of issue 17).
 * Readers that consume the channels (a conv's input channels, a Linear after Flatten) are recorded so that
 * surgery can slice them.
 *
 * <p>A LINEAR output starts a neuron space (each hidden neuron is one channel). Only ReLU and dropout
 * carry it on and only Linears may read it: the plain hidden layers of an MLP head. Any other reader
 * (an ADD, a flatten, an unknown op) fixes every space it reads, so residual MLP sums are left whole
 * rather than pruned by rules this analysis was not built and tested for.
 *
 * <p>A space is fixed (not prunable) when it contains the graph input (the data has its channels), reaches
 * the graph output (its channels are the model's result, e.g. class logits, so the classifier keeps all
 * its outputs), or is read by something the analysis cannot slice. A grouped (depthwise included) conv
 * fixes both the space it reads and the one it starts: its weight [O, C/groups, kH, kW] ties output
 * channel o to the input channels of o's group, so neither side can be cut alone (for now; dilation and
 * asymmetric padding change nothing here, a dilated ungrouped conv prunes as any other).
 */
public final class ChannelDependencies {
    private ChannelDependencies() {}

    /** The ops through which hidden neurons stay prunable: elementwise ones, and Linears (which read them). */
    private static final Set<OpType> NEURON_SAFE = EnumSet.of(OpType.RELU, OpType.DROPOUT, OpType.LINEAR,
            // pointwise family (issue 17): the elementwise activations, neuron i to neuron i as ReLU
            OpType.CLIP, OpType.LEAKY_RELU, OpType.SIGMOID, OpType.HARD_SIGMOID, OpType.HARD_SWISH, OpType.TANH);

    public static ChannelGroups analyze(Graph graph) {
        return new Analysis(graph).run();
    }

    /** Union-find over value names plus per-space facts, filled in one walk over the nodes. */
    private static final class Analysis {
        private final Graph graph;
        private final Map<String, Shape> shapes;
        private final Map<String, String> parent = new HashMap<>();
        /** Consecutive features per channel of a value: 1 for [C, H, W], H*W once flattened. */
        private final Map<String, Integer> featuresPerChannel = new HashMap<>();
        private final Set<String> neuronValues = new HashSet<>(); // values in a space opened by a LINEAR
        private final Map<String, List<String>> fixedReasons = new HashMap<>(); // keyed by value; resolved at the end
        private final List<String[]> convReaders = new ArrayList<>();    // {conv, value read}
        private final List<String[]> bnReaders = new ArrayList<>();      // {bn, value read}
        private final List<String[]> linearReaders = new ArrayList<>();  // {linear, value read}

        Analysis(Graph graph) {
            this.graph = graph;
            this.shapes = new HashMap<>(graph.inferShapes());
            shapes.put(Graph.INPUT, graph.inputShape());
        }

        ChannelGroups run() {
            if (graph.inputShape().rank() == 3) {
                enter(Graph.INPUT, 1);
                fix(Graph.INPUT, "contains the graph input, whose channels are the data's");
            }
            for (Node n : graph.nodes()) visit(n);
            if (inSpace(graph.output())) fix(graph.output(), "reaches the graph output " + graph.output() + ", whose channels are the model's result");
            return groups();
        }

        private void visit(Node n) {
            if (!NEURON_SAFE.contains(n.op()) && n.inputs().stream().anyMatch(neuronValues::contains)) {
                for (String i : n.inputs()) {
                    if (inSpace(i)) fix(i, "read by " + n.name() + " (" + n.op() + "); hidden neurons are pruned only between linears, through ReLU or dropout");
                }
                return;
            }
            String in = n.inputs().isEmpty() ? null : n.inputs().get(0);
            switch (n.op()) {
                case CONV2D -> {
                    int groups = Conv2dOp.spec(n).groups();
                    if (groups > 1) { // conv family (issue 17): refused, not pruned wrongly
                        String why = "grouped conv " + n.name() + " (" + groups + " groups), whose filters are tied to its input channels "
                                + "(coupled-channel pruning is a later slice of issue 17)";
                        if (inSpace(in)) fix(in, "read by " + why);
                        enter(n.name(), 1);
                        fix(n.name(), "produced by " + why);
                    } else {
                        if (inSpace(in)) convReaders.add(new String[] {n.name(), in});
                        enter(n.name(), 1);
                    }
                }
                case BATCHNORM2D, RELU, MAXPOOL2D, AVGPOOL2D, GLOBAL_AVGPOOL, DROPOUT, CLIP, LEAKY_RELU, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH -> {
                    if (!inSpace(in)) return;
                    if (n.op() == OpType.BATCHNORM2D) bnReaders.add(new String[] {n.name(), in});
                    join(n.name(), in, featuresPerChannel.get(in));
                }
                case FLATTEN -> {
                    if (!inSpace(in)) return;
                    Shape s = shapes.get(in);
                    int f = featuresPerChannel.get(in) * (s.rank() == 3 ? s.dim(1) * s.dim(2) : 1);
                    join(n.name(), in, f);
                }
                case LINEAR -> {
                    if (inSpace(in)) linearReaders.add(new String[] {n.name(), in});
                    enter(n.name(), 1);
                    neuronValues.add(n.name());
                }
                case ADD, SUB, MUL, DIV -> arithmetic(n);
                // shapes family (issue 17): views and means that keep the channel dim first carry the space on
                case RESHAPE, REDUCE_MEAN -> {
                    if (!inSpace(in)) return;
                    Shape out = shapes.get(n.name());
                    String why = keepsChannels(n, in, out);
                    if (why != null) {
                        fix(in, "read by " + n.name() + " (" + n.op() + "), which " + why);
                        return;
                    }
                    join(n.name(), in, out.rank() == 3 ? 1 : out.numel() / out.dim(0));
                }
                case CONCAT -> {
                    for (String i : n.inputs()) {
                        if (inSpace(i)) fix(i, "read by " + n.name() + " (CONCAT); pruning through a concatenation's channel offsets is not supported yet");
                    }
                }
                default -> {
                    for (String i : n.inputs()) if (inSpace(i)) fix(i, "read by " + n.name() + " (" + n.op() + "), which pruning cannot slice");
                }
            }
        }

        /**
         * Null when {@code n} (RESHAPE or REDUCE_MEAN) leaves channel c the c-th block of its output with the
         * channels as dim 0, so that fewer channels still fit it: a reshape whose dim0 is inferred (-1), a mean
         * over dims after the channels; else what it does instead.
         */
        private String keepsChannels(Node n, String in, Shape out) {
            int c = channels(in);
            if (n.op() == OpType.RESHAPE) { // channel blocks are contiguous in memory whatever the input's dims
                if (n.intAttr("dim0") != -1 || out.dim(0) != c) return "changes the channel dim (target dim0 " + n.intAttr("dim0") + ")";
                return null;
            }
            if (shapes.get(in).dim(0) != c) return "averages a value whose first dim is not its channels";
            return n.intAttr("axis") == 0 ? "averages over the channels" : null;
        }

        /**
         * ADD, SUB, MUL, DIV (pointwise family, issue 17). Two inputs of one shape tie channel c to channel c (the
         * residual ADD). Two that broadcast (a squeeze-excitation gate [C, 1, 1] times [C, H, W]) fix both spaces: coupling
         * channels across a broadcast is a later slice. A constant operand passes the channels on when it is the same
         * for every channel (a scalar, or a dim 1 where the channels are) and the shape does not grow; a per-channel
         * constant would have to be sliced with them and fixes the space.
         */
        private void arithmetic(Node n) {
            List<String> ins = n.inputs();
            String x = ins.get(0);
            if (ins.size() == 2) {
                String y = ins.get(1);
                boolean a = inSpace(x), b = inSpace(y);
                if (!shapes.get(x).equals(shapes.get(y))) {
                    for (String i : ins) {
                        if (inSpace(i)) fix(i, n.name() + " (" + n.op() + ") broadcasts " + shapes.get(x) + " with " + shapes.get(y)
                                + "; structured pruning does not couple channels across a broadcast (squeeze-excitation) yet");
                    }
                } else if (a && b) {
                    union(x, y);
                    join(n.name(), x, featuresPerChannel.get(x));
                } else if (a || b) {
                    fix(a ? x : y, (n.op() == OpType.ADD ? "added" : "combined") + " by " + n.name() + " with a value that has no channels to prune with it");
                }
                return;
            }
            if (!inSpace(x)) return;
            Shape s = shapes.get(x), c = graph.param(n.paramName(ArithmeticOp.CONSTANT)).value().shape();
            int channelDim = c.rank() - s.rank(); // the constant's dim aligned with the value's dim 0, where the channels are
            if (!shapes.get(n.name()).equals(s) || (channelDim >= 0 && c.dim(channelDim) > 1)) {
                fix(x, n.name() + " (" + n.op() + ") applies a constant " + c + " that differs per channel; pruning would have to slice it (later slice)");
                return;
            }
            join(n.name(), x, featuresPerChannel.get(x));
        }

        private boolean inSpace(String value) { return value != null && parent.containsKey(value); }

        private void enter(String value, int features) {
            parent.put(value, value);
            featuresPerChannel.put(value, features);
        }

        private void join(String value, String existing, int features) {
            enter(value, features);
            union(value, existing);
            if (neuronValues.contains(existing)) neuronValues.add(value);
        }

        private void fix(String value, String reason) { fixedReasons.computeIfAbsent(value, k -> new ArrayList<>()).add(reason); }

        private String find(String v) {
            String r = v;
            while (!parent.get(r).equals(r)) r = parent.get(r);
            parent.put(v, r);
            return r;
        }

        private void union(String a, String b) {
            String ra = find(a), rb = find(b);
            if (!ra.equals(rb)) parent.put(ra, rb);
        }

        private int channels(String value) {
            Shape s = shapes.get(value);
            return s.rank() == 3 ? s.dim(0) : s.numel() / featuresPerChannel.get(value);
        }

        /** One group per space holding a conv or linear output, numbered in the order of their first producer. */
        private ChannelGroups groups() {
            Map<String, List<String>> valuesByRoot = new LinkedHashMap<>();
            List<String> order = new ArrayList<>();
            order.add(Graph.INPUT);
            for (Node n : graph.nodes()) order.add(n.name());
            for (String v : order) if (inSpace(v)) valuesByRoot.computeIfAbsent(find(v), k -> new ArrayList<>()).add(v);

            List<ChannelGroup> out = new ArrayList<>();
            Map<String, Node> nodes = new HashMap<>();
            for (Node n : graph.nodes()) nodes.put(n.name(), n);
            for (List<String> values : valuesByRoot.values()) {
                List<String> producers = values.stream().filter(v -> nodes.containsKey(v)
                        && (nodes.get(v).op() == OpType.CONV2D || nodes.get(v).op() == OpType.LINEAR)).toList();
                if (producers.isEmpty()) continue; // the input's own space: nothing to prune there
                String root = find(values.get(0));
                List<String> reasons = new ArrayList<>();
                for (String v : values) reasons.addAll(fixedReasons.getOrDefault(v, List.of()));
                int channels = channels(producers.get(0));
                for (String v : values) {
                    if (channels(v) != channels) reasons.add(v + " carries " + channels(v) + " channels, not " + channels);
                }
                boolean neurons = neuronValues.contains(producers.get(0));
                out.add(new ChannelGroup(out.size(), channels, neurons, producers, readersOf(bnReaders, root),
                        readersOf(convReaders, root), linearsOf(root), values.stream().filter(v -> !Graph.INPUT.equals(v)).toList(),
                        reasons.isEmpty() ? null : String.join("; ", reasons)));
            }
            return new ChannelGroups(graph.name(), out);
        }

        private List<String> readersOf(List<String[]> readers, String root) {
            return readers.stream().filter(r -> find(r[1]).equals(root)).map(r -> r[0]).toList();
        }

        private List<ChannelGroup.LinearReader> linearsOf(String root) {
            return linearReaders.stream().filter(r -> find(r[1]).equals(root))
                    .map(r -> new ChannelGroup.LinearReader(r[0], featuresPerChannel.get(r[1]))).toList();
        }
    }
}
