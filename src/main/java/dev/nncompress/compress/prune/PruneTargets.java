package dev.nncompress.compress.prune;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The weights unstructured pruning may zero: {@code <node>.weight} of every CONV2D and LINEAR node (biases,
 * batch-norm parameters and buffers are never pruned), optionally restricted to named layers. The one place
 * deciding what is prunable.
 */
public final class PruneTargets {
    private final List<String> layers;

    private PruneTargets(List<String> layers) { this.layers = List.copyOf(layers); }

    /** Every conv and linear layer of {@code graph}, in graph order. */
    public static PruneTargets all(Graph graph) { return of(graph, Set.of()); }

    /**
     * The named layers (empty: all prunable layers). A name that is no node, or a node that is not a conv or
     * linear layer, is an IllegalArgumentException listing the prunable layers.
     */
    public static PruneTargets of(Graph graph, Collection<String> only) {
        List<String> prunable = new ArrayList<>();
        for (Node n : graph.nodes()) if (isPrunable(n)) prunable.add(n.name());
        if (only.isEmpty()) return new PruneTargets(prunable);
        List<String> chosen = new ArrayList<>();
        for (String name : new LinkedHashSet<>(only)) {
            if (!prunable.contains(name)) {
                boolean exists = graph.nodes().stream().anyMatch(n -> n.name().equals(name));
                throw new IllegalArgumentException("layer '" + name + "' " + (exists ? "is not a conv or linear layer" : "does not exist in " + graph.name())
                        + "; prunable layers: " + String.join(", ", prunable));
            }
        }
        for (String name : prunable) if (only.contains(name)) chosen.add(name); // graph order, whatever order was asked
        return new PruneTargets(chosen);
    }

    static boolean isPrunable(Node n) { return n.op() == OpType.CONV2D || n.op() == OpType.LINEAR; }

    /** Layer (node) names, in graph order. */
    public List<String> layers() { return layers; }

    /** Weight parameter names, in graph order. */
    public List<String> weights() { return layers.stream().map(PruneTargets::weightOf).toList(); }

    public static String weightOf(String layer) { return layer + ".weight"; }

    /** The conv and linear layers of {@code graph} not targeted: what structured pruning keeps whole (its exclude set). */
    public Set<String> untargeted(Graph graph) {
        Set<String> out = new LinkedHashSet<>();
        for (Node n : graph.nodes()) if (isPrunable(n) && !layers.contains(n.name())) out.add(n.name());
        return out;
    }
}
