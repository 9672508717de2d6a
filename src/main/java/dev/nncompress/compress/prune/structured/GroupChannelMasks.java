package dev.nncompress.compress.prune.structured;

import dev.nncompress.compress.prune.PruneMasks;
import dev.nncompress.graph.Graph;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Structured pruning without cutting: the {@link PruneMasks} that zero whole channels of coupled groups, every slice
 * of a channel together ({@link GroupParamSlices}: producer rows and biases, batch-norm gamma and beta, reader
 * columns). Held through training by {@code MaskingStepHook} (gradients zeroed, weights re-zeroed after each step),
 * the masked graph computes exactly what {@link ChannelSurgery} with the same kept channels computes, so gradual
 * pruning can train at full width and cut once at the end.
 *
 * <p>The masks cover every parameter of every prunable group from the start (all ones where nothing is dropped), so
 * their set of weights never changes while masks grow (checkpoints restore them by name).
 */
public final class GroupChannelMasks {
    private final Graph graph;
    private final ChannelGroups groups;
    private final Map<Integer, Map<String, int[][]>> slices = new LinkedHashMap<>();

    public GroupChannelMasks(Graph graph, ChannelGroups groups) {
        this.graph = graph;
        this.groups = groups;
        for (ChannelGroup g : groups.prunable()) slices.put(g.id(), GroupParamSlices.of(graph, g));
    }

    public ChannelGroups groups() { return groups; }

    /** Per parameter, the flat element indices each channel of group {@code id} owns. */
    Map<String, int[][]> slices(int id) {
        Map<String, int[][]> s = slices.get(id);
        if (s == null) throw new IllegalArgumentException("group " + id + " is not prunable");
        return s;
    }

    /**
     * @param keep per prunable group id, the channels kept (any order); a group not in the map keeps all. A parameter
     *             shared by two groups (a conv reading one and producing another) loses the elements of both.
     */
    public PruneMasks masks(Map<Integer, int[]> keep) {
        Map<String, boolean[]> out = new LinkedHashMap<>();
        for (var e : slices.entrySet()) {
            int channels = groups.get(e.getKey()).channels();
            boolean[] kept = new boolean[channels];
            int[] k = keep.get(e.getKey());
            if (k == null) java.util.Arrays.fill(kept, true);
            else for (int c : k) {
                if (c < 0 || c >= channels) throw new IllegalArgumentException("group " + e.getKey() + ": channel " + c + " is out of range 0.." + (channels - 1));
                kept[c] = true;
            }
            for (var p : e.getValue().entrySet()) {
                boolean[] m = out.computeIfAbsent(p.getKey(), name -> filled(graph.param(name).value().shape().numel()));
                for (int c = 0; c < channels; c++) if (!kept[c]) for (int i : p.getValue()[c]) m[i] = false;
            }
        }
        for (var k : keep.keySet()) if (!slices.containsKey(k)) throw new IllegalArgumentException("group " + k + " is not prunable");
        return new PruneMasks(out);
    }

    private static boolean[] filled(int n) {
        boolean[] b = new boolean[n];
        java.util.Arrays.fill(b, true);
        return b;
    }
}
