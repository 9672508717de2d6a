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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds which channels of a graph are coupled, one channel at a time: every value that carries channels (a CONV2D or
 * LINEAR output, the graph input, and what ops make of them) has one element per channel, and each op ties elements
 * that must be removed together ({@link ChannelElements}). A connected set of tied elements is one prunable unit;
 * units that span the same values with the same count of channels each form one {@link ChannelGroup}, so that reports,
 * per-layer sparsity and criteria speak of "group k: N channels" as before. The ties:
 * <ul>
 *   <li>ops that map channel c to channel c (BN, ReLU, pools with any window options, dropout, flatten, a RESHAPE that
 *       keeps the channels as its inferred dim0, a REDUCE_MEAN over dims after them, the elementwise activations CLIP,
 *       LEAKY_RELU, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH): output channel c to input channel c;</li>
 *   <li>ADD, SUB, MUL, DIV of two values with the same channel count, whether the shapes are equal (a residual sum)
 *       or broadcast over the spatial dims (a squeeze-excitation gate [C, 1, 1] times [C, H, W]): channel c of both
 *       inputs and of the output, since removing channel c of one operand but not the other would misalign them;</li>
 *   <li>an arithmetic node with a constant: the channels pass through; a constant that differs per channel
 *       ([C, 1, 1] or [1, C, 1, 1]) is sliced with them by surgery;</li>
 *   <li>CONCAT on the channel axis: output channel {@code offset_i + c} to channel c of input i (a concat on another
 *       axis ties channel c of every input and of the output);</li>
 *   <li>a depthwise conv (groups = input channels C, O = m*C): output channels {@code c*m .. c*m+m-1} to input channel
 *       c, so the conv both reads and produces the unit and surgery rewrites its {@code groups}.</li>
 *   <li>a general grouped conv (1 &lt; groups g &lt; input channels C): input channels {@code k*C/g + i} for every
 *       group k, and likewise output channels {@code k*O/g + i}, so that each group keeps as many channels as the
 *       others (its inputs and outputs stay separate units: the conv keeps its g groups).</li>
 * </ul>
 *
 * <p>A LINEAR output starts a neuron space (each hidden neuron is one channel). Only ReLU, dropout and the elementwise
 * activations carry it on and only Linears may read it: the plain hidden layers of an MLP head; and a RESHAPE to
 * [C, 1, 1] turns neurons back into channels (the gate of a squeeze-excitation made of linears, as in se_resnet's
 * last stage). Any other reader (an ADD, a flatten, an unknown op) fixes every space it reads, so residual MLP sums
 * are left whole rather than pruned by rules this analysis was not built and tested for.
 *
 * <p>A unit is fixed (not prunable) when it contains the graph input (the data has its channels), reaches the graph
 * output (its channels are the model's result, e.g. class logits, so the classifier keeps all its outputs), or is
 * read by something the analysis cannot slice; all units of a group share one reason.
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

    /** One walk over the nodes, tying elements; then the units, grouped ({@link ChannelGroupAssembly}). */
    private static final class Analysis {
        private final Graph graph;
        private final Map<String, Shape> shapes;
        private final ChannelElements el = new ChannelElements();
        private final Set<String> neuronValues = new HashSet<>(); // values in a space opened by a LINEAR

        Analysis(Graph graph) {
            this.graph = graph;
            this.shapes = new HashMap<>(graph.inferShapes());
            shapes.put(Graph.INPUT, graph.inputShape());
        }

        ChannelGroups run() {
            if (graph.inputShape().rank() == 3) {
                el.add(Graph.INPUT, graph.inputShape().dim(0), 1);
                el.fix(Graph.INPUT, "contains the graph input, whose channels are the data's");
            }
            for (Node n : graph.nodes()) visit(n);
            if (el.has(graph.output())) el.fix(graph.output(), "reaches the graph output " + graph.output() + ", whose channels are the model's result");
            return ChannelGroupAssembly.assemble(graph, el, neuronValues);
        }

        private void visit(Node n) {
            if (!NEURON_SAFE.contains(n.op()) && !neuronsToChannels(n) && n.inputs().stream().anyMatch(neuronValues::contains)) {
                for (String i : n.inputs()) {
                    if (el.has(i)) el.fix(i, "read by " + n.name() + " (" + n.op() + "); hidden neurons are pruned only between linears, through ReLU or dropout");
                }
                return;
            }
            String in = n.inputs().isEmpty() ? null : n.inputs().get(0);
            switch (n.op()) {
                case CONV2D -> conv(n, in);
                case BATCHNORM2D, RELU, MAXPOOL2D, AVGPOOL2D, GLOBAL_AVGPOOL, DROPOUT, CLIP, LEAKY_RELU, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH -> {
                    if (el.has(in)) join(n.name(), in, el.features(in));
                }
                case FLATTEN -> {
                    if (!el.has(in)) return;
                    Shape s = shapes.get(in);
                    join(n.name(), in, el.features(in) * (s.rank() == 3 ? s.dim(1) * s.dim(2) : 1));
                }
                case LINEAR -> {
                    el.add(n.name(), shapes.get(n.name()).dim(0), 1);
                    neuronValues.add(n.name());
                }
                case ADD, SUB, MUL, DIV -> {
                    if (n.inputs().size() == 2) twoValues(n); else withConstant(n);
                }
                // shapes family (issue 17): views and means that keep the channel dim first carry the channels on
                case RESHAPE, REDUCE_MEAN -> {
                    if (!el.has(in)) return;
                    Shape out = shapes.get(n.name());
                    String why = keepsChannels(n, in, out);
                    if (why != null) {
                        el.fix(in, "read by " + n.name() + " (" + n.op() + "), which " + why);
                        return;
                    }
                    join(n.name(), in, out.rank() == 3 ? 1 : out.numel() / out.dim(0));
                }
                case CONCAT -> concat(n);
                default -> {
                    for (String i : n.inputs()) if (el.has(i)) el.fix(i, "read by " + n.name() + " (" + n.op() + "), which pruning cannot slice");
                }
            }
        }

        /**
         * A plain conv reads its input's channels through its weight columns (surgery slices them) and starts C_out
         * new ones. A depthwise conv ties each input channel to its m output channels. A general grouped conv
         * (g groups of C/g inputs and O/g outputs) must keep the same count in every group, which it gets as
         * Torch-Pruning does: in-group input index i of every group is one unit (input channels k*C/g + i for all k),
         * likewise in-group output index i (output channels k*O/g + i); every group then keeps the same in-group
         * indices, the conv keeps its g groups and surgery slices its weight's per-group input dim with them.
         */
        private void conv(Node n, String in) {
            int groups = Conv2dOp.spec(n).groups(), inChannels = shapes.get(in).dim(0), out = shapes.get(n.name()).dim(0);
            el.add(n.name(), out, 1);
            if (groups == 1) return;
            if (groups == inChannels) {
                source(in, "depthwise conv " + n.name());
                int m = out / inChannels;
                for (int c = 0; c < inChannels; c++) for (int j = 0; j < m; j++) el.tie(n.name(), c * m + j, in, c);
                return;
            }
            tieAcrossGroups(n.name(), groups);
            if (el.has(in)) tieAcrossGroups(in, groups); // an untracked input has nothing to prune: the outputs still may
        }

        /** Channel i of every one of the {@code groups} equal blocks of {@code value} is one unit. */
        private void tieAcrossGroups(String value, int groups) {
            int block = el.channels(value) / groups;
            for (int k = 1; k < groups; k++) for (int i = 0; i < block; i++) el.tie(value, k * block + i, value, i);
        }

        /**
         * Makes sure {@code value}, which {@code reader} ties to channels it produces, has elements: a value that carries
         * no tracked channels (made by an op pruning cannot slice) gets them, fixed, so whatever it is tied to stays.
         */
        private void source(String value, String reader) {
            if (el.has(value)) return;
            Shape s = shapes.get(value);
            el.add(value, s.dim(0), s.rank() == 3 ? 1 : s.numel() / s.dim(0));
            el.fix(value, "tied by " + reader + " to " + value + ", whose channels pruning does not track");
        }

        /** Channel axis: each input at its offset. Another axis: channel c of every input is channel c of the output. */
        private void concat(Node n) {
            int axis = n.intAttr("axis");
            boolean allChannelValues = n.inputs().stream().allMatch(i -> shapes.get(i).rank() == 3);
            if (!allChannelValues || n.inputs().stream().noneMatch(el::has)) {
                for (String i : n.inputs()) if (el.has(i)) el.fix(i, "read by " + n.name() + " (CONCAT of values that are not [C, H, W])");
                return;
            }
            Shape out = shapes.get(n.name());
            el.add(n.name(), out.dim(0), 1);
            int offset = 0;
            for (String i : n.inputs()) {
                source(i, "concat " + n.name());
                for (int c = 0; c < el.channels(i); c++) el.tie(n.name(), axis == 0 ? offset + c : c, i, c);
                if (axis == 0) offset += el.channels(i);
            }
        }

        /**
         * A RESHAPE of hidden neurons [C] to [C, 1, 1] (dim0 inferred): the gate of a squeeze-excitation built from
         * linears, which a MUL then ties to the trunk's channels. Past it the neurons are channels like a conv's.
         */
        private boolean neuronsToChannels(Node n) {
            if (n.op() != OpType.RESHAPE) return false;
            String in = n.inputs().get(0);
            Shape out = shapes.get(n.name());
            return neuronValues.contains(in) && el.features(in) == 1 && out.rank() == 3
                    && out.dim(1) == 1 && out.dim(2) == 1 && keepsChannels(n, in, out) == null;
        }

        /**
         * Null when {@code n} (RESHAPE or REDUCE_MEAN) leaves channel c the c-th block of its output with the
         * channels as dim 0, so that fewer channels still fit it: a reshape whose dim0 is inferred (-1), a mean
         * over dims after the channels; else what it does instead.
         */
        private String keepsChannels(Node n, String in, Shape out) {
            int c = el.channels(in);
            if (n.op() == OpType.RESHAPE) { // channel blocks are contiguous in memory whatever the input's dims
                if (n.intAttr("dim0") != -1 || out.dim(0) != c) return "changes the channel dim (target dim0 " + n.intAttr("dim0") + ")";
                return null;
            }
            if (shapes.get(in).dim(0) != c) return "averages a value whose first dim is not its channels";
            return n.intAttr("axis") == 0 ? "averages over the channels" : null;
        }

        /**
         * ADD, SUB, MUL, DIV of two values (pointwise family, issue 17) with the same channel count tie channel c of
         * both and of the output: the residual sum (equal shapes) and the squeeze-excitation gate ([C, 1, 1] times
         * [C, H, W]) alike. One that broadcasts a single channel over many, or combines channels with a value that
         * carries none pruning tracks, fixes what it reads.
         */
        private void twoValues(Node n) {
            String x = n.inputs().get(0), y = n.inputs().get(1);
            boolean a = el.has(x), b = el.has(y);
            if (a && b) {
                Shape sx = shapes.get(x), sy = shapes.get(y);
                if (el.channels(x) == el.channels(y) && sx.dim(0) == sy.dim(0)) {
                    el.tieAll(x, y);
                    Shape out = shapes.get(n.name());
                    join(n.name(), x, out.rank() == 3 ? 1 : out.numel() / el.channels(x));
                    return;
                }
                for (String i : List.of(x, y)) {
                    el.fix(i, n.name() + " (" + n.op() + ") broadcasts " + sx + " with " + sy + " across the channels");
                }
            } else if (a || b) {
                el.fix(a ? x : y, (n.op() == OpType.ADD ? "added" : "combined") + " by " + n.name() + " with a value that has no channels to prune with it");
            }
        }

        /**
         * A constant operand passes the channels on when it is the same for every channel (a scalar, or a dim 1 where
         * the channels are) or differs per channel along the channels' dim (surgery slices it), as long as it does not
         * grow the value's shape.
         */
        private void withConstant(Node n) {
            String x = n.inputs().get(0);
            if (!el.has(x)) return;
            Shape s = shapes.get(x), c = graph.param(n.paramName(ArithmeticOp.CONSTANT)).value().shape();
            int channelDim = c.rank() - s.rank(); // the constant's dim aligned with the value's dim 0, where the channels are
            if (!shapes.get(n.name()).equals(s)) {
                el.fix(x, n.name() + " (" + n.op() + ") applies a constant " + c + " that grows its input " + s);
                return;
            }
            if (channelDim >= 0 && c.dim(channelDim) > 1 && s.dim(0) != el.channels(x)) {
                el.fix(x, n.name() + " (" + n.op() + ") applies a constant " + c + " that differs within a channel's features");
                return;
            }
            join(n.name(), x, el.features(x));
        }

        /** {@code value} carries the channels of {@code existing}, channel c to channel c. */
        private void join(String value, String existing, int features) {
            el.add(value, el.channels(existing), features);
            el.tieAll(value, existing);
            if (neuronValues.contains(existing) && shapes.get(value).rank() != 3) neuronValues.add(value);
        }
    }
}
