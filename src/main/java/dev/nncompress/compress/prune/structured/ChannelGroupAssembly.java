package dev.nncompress.compress.prune.structured;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.Conv2dOp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the tied channel elements of {@link ChannelDependencies} into {@link ChannelGroup}s: each connected set of
 * elements that holds a conv or linear output channel is one unit; units with the same signature (the same values,
 * the same count of channels of each, the same reasons to stay) are one group, numbered in the order the scan over
 * the graph (input first, then the nodes) first meets them, and its units in the order of their channels there.
 */
final class ChannelGroupAssembly {
    private ChannelGroupAssembly() {}

    static ChannelGroups assemble(Graph graph, ChannelElements el, Set<String> neuronValues) {
        List<String> order = new ArrayList<>();
        order.add(Graph.INPUT);
        Map<String, Node> nodes = new HashMap<>();
        for (Node n : graph.nodes()) {
            order.add(n.name());
            nodes.put(n.name(), n);
        }
        Map<String, List<ChannelElements.Unit>> bySignature = new LinkedHashMap<>();
        for (ChannelElements.Unit u : el.units(order)) {
            boolean produced = u.channelsByValue.keySet().stream().anyMatch(v -> isProducer(nodes.get(v)));
            if (produced) bySignature.computeIfAbsent(u.signature(el), k -> new ArrayList<>()).add(u);
            // else: only the input's channels (or ones tied to them): nothing to prune there
        }
        List<ChannelGroup> out = new ArrayList<>();
        for (List<ChannelElements.Unit> units : bySignature.values()) out.add(group(out.size(), units, graph, nodes, el, neuronValues));
        return new ChannelGroups(graph.name(), out, el.channelCounts());
    }

    private static boolean isProducer(Node n) { return n != null && (n.op() == OpType.CONV2D || n.op() == OpType.LINEAR); }

    private static ChannelGroup group(int id, List<ChannelElements.Unit> units, Graph graph, Map<String, Node> nodes, ChannelElements el,
                                      Set<String> neuronValues) {
        ChannelElements.Unit first = units.get(0);
        List<String> values = new ArrayList<>(first.channelsByValue.keySet());
        Map<String, ChannelGroup.Slice> slices = new LinkedHashMap<>();
        for (String v : values) {
            int[][] per = new int[units.size()][];
            for (int c = 0; c < per.length; c++) per[c] = units.get(c).channelsByValue.get(v).stream().mapToInt(Integer::intValue).toArray();
            slices.put(v, new ChannelGroup.Slice(el.channels(v), per));
        }
        List<String> producers = values.stream().filter(v -> isProducer(nodes.get(v))).toList();
        List<String> batchNorms = new ArrayList<>(), convReaders = new ArrayList<>();
        List<ChannelGroup.LinearReader> linearReaders = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (n.inputs().isEmpty() || !slices.containsKey(n.inputs().get(0))) continue;
            String in = n.inputs().get(0);
            switch (n.op()) {
                case BATCHNORM2D -> batchNorms.add(n.name());
                // a depthwise conv is a producer of the group it reads: its weight has no input-channel dim to slice;
                // a general grouped conv reads it through its weight's per-group input dim
                case CONV2D -> {
                    int groups = Conv2dOp.spec(n).groups();
                    if (groups == 1 || groups != el.channels(in)) convReaders.add(n.name());
                }
                case LINEAR -> linearReaders.add(new ChannelGroup.LinearReader(n.name(), el.features(in)));
                default -> { }
            }
        }
        List<String> reasons = first.reasons(el);
        return new ChannelGroup(id, units.size(), neuronValues.contains(producers.get(0)), producers, batchNorms, convReaders, linearReaders,
                values.stream().filter(v -> !Graph.INPUT.equals(v)).toList(), reasons.isEmpty() ? null : String.join("; ", reasons), slices,
                producers.stream().filter(p -> nodes.get(p).op() == OpType.LINEAR).toList());
    }
}
