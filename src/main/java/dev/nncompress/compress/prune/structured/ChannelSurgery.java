package dev.nncompress.compress.prune.structured;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Physically removes channels: builds a new, smaller dense graph whose producer convs and linears have
 * fewer filters or hidden neurons (weight rows, bias entries), whose batch norms have fewer entries,
 * whose reading convs have fewer input channels and whose reading linears have fewer input columns.
 * Nodes, names and attributes are unchanged; every parameter of the result is a fresh copy, so the
 * source graph is never touched.
 * The new graph's constructor re-runs shape inference, which checks that every slice fits.
 */
public final class ChannelSurgery {
    private ChannelSurgery() {}

    /**
     * @param keep per group id, the channels to keep (strictly increasing, within range); a group not in
     *             the map keeps all its channels. Fixed groups may only be given all their channels.
     */
    public static Graph apply(Graph graph, ChannelGroups groups, Map<Integer, int[]> keep) {
        // per node: kept weight rows (producers), kept weight columns / input channels (readers), kept BN entries
        Map<String, int[]> outKeep = new HashMap<>(), inKeep = new HashMap<>(), bnKeep = new HashMap<>();
        for (var e : keep.entrySet()) {
            if (e.getKey() < 0 || e.getKey() >= groups.groups().size()) {
                throw new IllegalArgumentException("no channel group " + e.getKey() + " in " + groups.graphName()
                        + " (groups 0.." + (groups.groups().size() - 1) + ")");
            }
            ChannelGroup g = groups.get(e.getKey());
            int[] k = checkKeep(g, e.getValue());
            if (k.length == g.channels()) continue;
            for (String c : g.producers()) outKeep.put(c, k);
            for (String c : g.convReaders()) inKeep.put(c, k);
            for (String b : g.batchNorms()) bnKeep.put(b, k);
            for (ChannelGroup.LinearReader l : g.linearReaders()) inKeep.put(l.node(), expand(k, l.featuresPerChannel()));
        }
        Map<String, Node> nodes = new HashMap<>();
        for (Node n : graph.nodes()) nodes.put(n.name(), n);
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (Parameter p : graph.params().values()) {
            Tensor v = p.value();
            if (v.dtype() != DType.F32) {
                throw new IllegalArgumentException("structured pruning works on float graphs; parameter " + p.name() + " is " + v.dtype());
            }
            String owner = p.name().substring(0, p.name().indexOf('.'));
            String suffix = p.name().substring(owner.length() + 1);
            Node n = nodes.get(owner);
            Sliced s = slice(n == null ? null : n.op(), suffix, v.toFloatArray(), v.shape(),
                    outKeep.get(owner), inKeep.get(owner), bnKeep.get(owner));
            params.put(p.name(), new Parameter(p.name(), v.backend().fromFloats(s.values(), s.shape()), p.trainable()));
        }
        return new Graph(graph.name(), graph.inputShape(), graph.nodes(), graph.output(), params);
    }

    private record Sliced(float[] values, Shape shape) {}

    /** Conv [O, I, kH, kW] and linear [O, I] weights alike: rows are outputs, dim 1 the inputs. */
    private static Sliced slice(OpType op, String suffix, float[] v, Shape shape, int[] out, int[] in, int[] bn) {
        boolean weighted = op == OpType.CONV2D || op == OpType.LINEAR;
        if (weighted && suffix.equals("weight")) return sliceDims01(v, shape, out, in);
        if (weighted && suffix.equals("bias") && out != null) return gather(v, out);
        if (op == OpType.BATCHNORM2D && bn != null) return gather(v, bn); // weight, bias, running mean and variance
        return new Sliced(v, shape);
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
