package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Physically removes channels: builds a new, smaller dense graph whose producer convs and linears have
 * fewer filters or hidden neurons (weight rows, bias entries), whose batch norms have fewer entries,
 * whose reading convs have fewer input channels, whose reading linears have fewer input columns, whose
 * per-channel constants have fewer entries, whose depthwise convs have fewer groups and whose general grouped
 * convs read fewer inputs per group. Each dropped
 * channel of a group drops the channels of every value that the group's {@link ChannelGroup#slices} name
 * for it; every op then keeps, per value it reads or writes, the channels that value keeps.
 * Node names, inputs and all other attributes are unchanged; every parameter of the result is a fresh
 * copy, so the source graph is never touched.
 * The new graph's constructor re-runs shape inference, which checks that every slice fits.
 */
public final class ChannelSurgery {
    private ChannelSurgery() {}

    /**
     * @param keep per group id, the channels to keep (strictly increasing, within range); a group not in
     *             the map keeps all its channels. Fixed groups may only be given all their channels.
     */
    public static Graph apply(Graph graph, ChannelGroups groups, Map<Integer, int[]> keep) {
        Map<String, int[]> kept = keptPerValue(groups, keep); // only values that lose channels
        Map<String, Integer> linearFeatures = new HashMap<>();
        for (ChannelGroup g : groups.groups()) for (ChannelGroup.LinearReader l : g.linearReaders()) linearFeatures.put(l.node(), l.featuresPerChannel());
        Map<String, Shape> shapes = new HashMap<>(graph.inferShapes());
        shapes.put(Graph.INPUT, graph.inputShape());
        Map<String, Node> nodes = new HashMap<>();
        List<Node> newNodes = new ArrayList<>();
        for (Node n : graph.nodes()) {
            nodes.put(n.name(), n);
            newNodes.add(withFewerGroups(n, kept, shapes));
        }
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (Parameter p : graph.params().values()) {
            Tensor v = p.value();
            if (v.dtype() != DType.F32) {
                throw new IllegalArgumentException("structured pruning works on float graphs; parameter " + p.name() + " is " + v.dtype());
            }
            String owner = p.name().substring(0, p.name().indexOf('.'));
            String suffix = p.name().substring(owner.length() + 1);
            Node n = nodes.get(owner);
            Sliced s = n == null ? new Sliced(v.toFloatArray(), v.shape()) : slice(n, suffix, v.toFloatArray(), v.shape(), kept, linearFeatures, shapes);
            params.put(p.name(), new Parameter(p.name(), Backend.of(v).fromFloats(s.values(), s.shape()), p.trainable()));
        }
        return new Graph(graph.name(), graph.inputShape(), newNodes, graph.output(), params);
    }

    /** Per value that loses channels, the channels it keeps (ascending): each dropped group channel drops its channels of every value. */
    private static Map<String, int[]> keptPerValue(ChannelGroups groups, Map<Integer, int[]> keep) {
        Map<String, boolean[]> dropped = new HashMap<>();
        for (var e : keep.entrySet()) {
            if (e.getKey() < 0 || e.getKey() >= groups.groups().size()) {
                throw new IllegalArgumentException("no channel group " + e.getKey() + " in " + groups.graphName()
                        + " (groups 0.." + (groups.groups().size() - 1) + ")");
            }
            ChannelGroup g = groups.get(e.getKey());
            int[] k = checkKeep(g, e.getValue());
            if (k.length == g.channels()) continue;
            boolean[] keepIt = new boolean[g.channels()];
            for (int c : k) keepIt[c] = true;
            for (var s : g.slices().entrySet()) {
                boolean[] d = dropped.computeIfAbsent(s.getKey(), v -> new boolean[s.getValue().valueChannels()]);
                for (int c = 0; c < keepIt.length; c++) if (!keepIt[c]) for (int ch : s.getValue().perChannel()[c]) d[ch] = true;
            }
        }
        Map<String, int[]> out = new HashMap<>();
        dropped.forEach((v, d) -> {
            List<Integer> k = new ArrayList<>();
            for (int c = 0; c < d.length; c++) if (!d[c]) k.add(c);
            out.put(v, k.stream().mapToInt(Integer::intValue).toArray());
        });
        return out;
    }

    /**
     * A depthwise conv whose input loses channels gets groups = the input channels it keeps (its weight rows follow, being
     * the same group's channels); a general grouped conv keeps its groups (every group loses as many channels,
     * {@link #inGroupColumns}).
     */
    private static Node withFewerGroups(Node n, Map<String, int[]> kept, Map<String, Shape> shapes) {
        if (n.op() != OpType.CONV2D) return n;
        Conv2dSpec s = Conv2dOp.spec(n);
        int[] in = kept.get(n.inputs().get(0));
        boolean depthwise = s.groups() == shapes.get(n.inputs().get(0)).dim(0);
        if (s.groups() == 1 || !depthwise || (in == null && !kept.containsKey(n.name()))) return n;
        if (in == null) throw new IllegalStateException("grouped conv " + n.name() + " would lose output channels but keep its input's");
        Map<String, Double> attrs = new HashMap<>(n.attrs());
        attrs.putAll(Conv2dOp.attrs(new Conv2dSpec(s.strideH(), s.strideW(), s.padH(), s.padW(), s.padBottom(), s.padRight(),
                s.dilationH(), s.dilationW(), in.length)));
        if (in.length == 1) attrs.remove("groups"); // one group is the absent value
        return new Node(n.name(), n.op(), n.inputs(), attrs);
    }

    private record Sliced(float[] values, Shape shape) {}

    /**
     * Conv [O, I, kH, kW] and linear [O, I] weights alike: rows are outputs, dim 1 the inputs (a linear reads f features
     * per channel; a general grouped conv's dim 1 is the in-group index, a depthwise conv's stays 1). Batch norms keep
     * their input's channels; a per-channel constant of an arithmetic node keeps them along the dim that lines up with them.
     */
    private static Sliced slice(Node n, String suffix, float[] v, Shape shape, Map<String, int[]> kept, Map<String, Integer> linearFeatures,
                                Map<String, Shape> shapes) {
        OpType op = n.op();
        int[] out = kept.get(n.name()), in = n.inputs().isEmpty() ? null : kept.get(n.inputs().get(0));
        if (op == OpType.CONV2D || op == OpType.LINEAR) {
            if (suffix.equals("weight")) {
                int groups = op == OpType.CONV2D ? Conv2dOp.spec(n).groups() : 1;
                int[] cols = op == OpType.LINEAR && in != null ? expand(in, linearFeatures.get(n.name()))
                        : op == OpType.LINEAR || groups == 1 ? in
                        : in != null && shape.dim(1) > 1 ? inGroupColumns(n.name(), in, groups, shape.dim(1)) : null;
                return sliceDims01(v, shape, out, cols);
            }
            if (suffix.equals("bias") && out != null) return gather(v, out);
        }
        if (op == OpType.BATCHNORM2D && in != null) return gather(v, in); // weight, bias, running mean and variance
        if (ArithmeticOp.hasConstant(n) && suffix.equals(ArithmeticOp.CONSTANT) && in != null) {
            int channelDim = shape.rank() - shapes.get(n.inputs().get(0)).rank();
            if (channelDim >= 0 && shape.dim(channelDim) > 1) return sliceDim(v, shape, channelDim, in);
        }
        return new Sliced(v, shape);
    }

    /**
     * The in-group input indices a general grouped conv keeps, from the input channels it keeps: the analysis ties
     * in-group index i across all {@code groups} blocks of {@code perGroup} channels, so every block keeps the same
     * indices; checked here, since slicing one block's indices into all of them would otherwise be silently wrong.
     */
    static int[] inGroupColumns(String conv, int[] keptInputs, int groups, int perGroup) {
        int per = keptInputs.length / groups;
        int[] cols = java.util.Arrays.copyOf(keptInputs, per);
        boolean same = per * groups == keptInputs.length && per > 0 && cols[per - 1] < perGroup;
        for (int k = 0; same && k < groups; k++) for (int j = 0; j < per; j++) same &= keptInputs[k * per + j] == k * perGroup + cols[j];
        if (!same) throw new IllegalStateException("grouped conv " + conv + " would keep different channels in its " + groups + " groups");
        return cols;
    }

    /** Keeps indices {@code idx} of dimension {@code dim}. */
    private static Sliced sliceDim(float[] v, Shape shape, int dim, int[] idx) {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape.dim(i);
        for (int i = dim + 1; i < shape.rank(); i++) inner *= shape.dim(i);
        int d = shape.dim(dim);
        float[] out = new float[outer * idx.length * inner];
        int k = 0;
        for (int o = 0; o < outer; o++) for (int i : idx) {
            System.arraycopy(v, (o * d + i) * inner, out, k, inner);
            k += inner;
        }
        int[] dims = shape.dims().clone();
        dims[dim] = idx.length;
        return new Sliced(out, Shape.of(dims));
    }

    /** Keeps rows {@code rows} of dim 0 and {@code cols} of dim 1 (null = all) of a tensor of rank >= 2. */
    private static Sliced sliceDims01(float[] v, Shape shape, int[] rows, int[] cols) {
        int d0 = shape.dim(0), d1 = shape.dim(1), inner = v.length / d0 / d1;
        int[] r = rows != null ? rows : all(d0), c = cols != null ? cols : all(d1);
        float[] out = new float[r.length * c.length * inner];
        int k = 0;
        for (int i : r) for (int j : c) {
            System.arraycopy(v, (i * d1 + j) * inner, out, k, inner);
            k += inner;
        }
        int[] dims = new int[shape.rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = shape.dim(i);
        dims[0] = r.length;
        dims[1] = c.length;
        return new Sliced(out, Shape.of(dims));
    }

    private static Sliced gather(float[] v, int[] idx) {
        float[] out = new float[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = v[idx[i]];
        return new Sliced(out, Shape.of(idx.length));
    }

    /** Channel c of a flattened value is the {@code f} consecutive features c*f .. c*f+f-1 (row-major [C, H, W]). */
    static int[] expand(int[] channels, int f) {
        int[] out = new int[channels.length * f];
        for (int i = 0; i < channels.length; i++) for (int j = 0; j < f; j++) out[i * f + j] = channels[i] * f + j;
        return out;
    }

    private static int[] checkKeep(ChannelGroup g, int[] k) {
        String who = "group " + g.id() + " (" + String.join(" + ", g.producers()) + ")";
        if (k == null || k.length == 0) throw new IllegalArgumentException(who + ": must keep at least one channel");
        for (int i = 0; i < k.length; i++) {
            if (k[i] < 0 || k[i] >= g.channels()) {
                throw new IllegalArgumentException(who + ": channel " + k[i] + " is out of range 0.." + (g.channels() - 1));
            }
            if (i > 0 && k[i] <= k[i - 1]) throw new IllegalArgumentException(who + ": kept channels must be strictly increasing");
        }
        if (!g.prunable() && k.length != g.channels()) throw new IllegalArgumentException(who + " cannot be pruned: " + g.fixedReason());
        return k;
    }

    private static int[] all(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }
}
