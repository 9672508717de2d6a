package dev.nncompress.compress.prune.structured;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.tensor.Shape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which trainable elements each channel of a group owns, as flat indices into each parameter: everything that
 * {@link ChannelSurgery} cuts out for that channel. The producers' weight rows and bias entries, the batch norms'
 * gamma and beta, the reading convs' input columns (per group of a grouped conv: block {@code ch / (C/g)} of the
 * filters, in-group column {@code ch % (C/g)}) and the reading linears' {@code f} columns per channel. Running
 * statistics are no parameters of training and are left out; a channel whose gamma and beta are 0 is exactly 0 after
 * the batch norm whatever its statistics.
 *
 * <p>Zeroing all of them ({@link GroupChannelMasks}) makes the channel contribute nothing anywhere, so the masked
 * graph computes what the cut graph computes; the same slices give the group-norm and Taylor scores, so masks and
 * scores cannot disagree about what a channel is.
 */
final class GroupParamSlices {
    private GroupParamSlices() {}

    /** Parameter name -> per group channel, its flat element indices (ascending within each reader/producer). */
    static Map<String, int[][]> of(Graph graph, ChannelGroup g) {
        Map<String, List<int[]>[]> acc = new LinkedHashMap<>();
        for (String p : g.producers()) {
            Node n = graph.node(p);
            int[][] rows = g.slices().get(p).perChannel();
            addRows(graph, acc, n, "weight", rows, g.channels());
            addRows(graph, acc, n, "bias", rows, g.channels());
        }
        for (String b : g.batchNorms()) {
            Node n = graph.node(b);
            int[][] ch = g.slices().get(n.inputs().get(0)).perChannel();
            addRows(graph, acc, n, "weight", ch, g.channels());
            addRows(graph, acc, n, "bias", ch, g.channels());
        }
        for (String r : g.convReaders()) {
            Node n = graph.node(r);
            ChannelGroup.Slice in = g.slices().get(n.inputs().get(0));
            Shape w = graph.param(n, "weight").value().shape();
            int groups = Conv2dOp.spec(n).groups(), perGroupIn = in.valueChannels() / groups, perGroupOut = w.dim(0) / groups;
            int k = w.numel() / (w.dim(0) * w.dim(1));
            List<int[]>[] per = slot(acc, n.paramName("weight"), g.channels());
            for (int c = 0; c < g.channels(); c++) {
                for (int ch : in.perChannel()[c]) {
                    int block = ch / perGroupIn, col = ch % perGroupIn;
                    int[] idx = new int[perGroupOut * k];
                    for (int o = 0; o < perGroupOut; o++) {
                        int base = ((block * perGroupOut + o) * w.dim(1) + col) * k;
                        for (int j = 0; j < k; j++) idx[o * k + j] = base + j;
                    }
                    per[c].add(idx);
                }
            }
        }
        for (ChannelGroup.LinearReader l : g.linearReaders()) {
            Node n = graph.node(l.node());
            ChannelGroup.Slice in = g.slices().get(n.inputs().get(0));
            Shape w = graph.param(n, "weight").value().shape();
            int f = l.featuresPerChannel(), cols = w.dim(1);
            List<int[]>[] per = slot(acc, n.paramName("weight"), g.channels());
            for (int c = 0; c < g.channels(); c++) {
                for (int ch : in.perChannel()[c]) {
                    int[] idx = new int[w.dim(0) * f];
                    for (int o = 0; o < w.dim(0); o++) for (int j = 0; j < f; j++) idx[o * f + j] = o * cols + ch * f + j;
                    per[c].add(idx);
                }
            }
        }
        Map<String, int[][]> out = new LinkedHashMap<>();
        acc.forEach((param, per) -> {
            int[][] flat = new int[per.length][];
            for (int c = 0; c < per.length; c++) flat[c] = per[c].stream().flatMapToInt(java.util.Arrays::stream).toArray();
            out.put(param, flat);
        });
        return out;
    }

    /** Rows {@code rows[c]} of a parameter's dim 0 (a weight's filters or a vector's entries), when the parameter exists. */
    private static void addRows(Graph graph, Map<String, List<int[]>[]> acc, Node n, String suffix, int[][] rows, int channels) {
        if (!graph.hasParam(n, suffix)) return;
        Shape s = graph.param(n, suffix).value().shape();
        int inner = s.numel() / s.dim(0);
        List<int[]>[] per = slot(acc, n.paramName(suffix), channels);
        for (int c = 0; c < channels; c++) {
            for (int r : rows[c]) {
                int[] idx = new int[inner];
                for (int j = 0; j < inner; j++) idx[j] = r * inner + j;
                per[c].add(idx);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<int[]>[] slot(Map<String, List<int[]>[]> acc, String param, int channels) {
        return acc.computeIfAbsent(param, p -> {
            List<int[]>[] per = new List[channels];
            for (int c = 0; c < channels; c++) per[c] = new ArrayList<>();
            return per;
        });
    }
}
