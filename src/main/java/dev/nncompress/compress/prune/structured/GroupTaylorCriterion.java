package dev.nncompress.compress.prune.structured;

import dev.nncompress.graph.Graph;
import dev.nncompress.tensor.Tensor;

import java.util.HashMap;
import java.util.Map;

/**
 * First-order Taylor importance of whole channels (Molchanov et al. 2019): removing channel c changes the loss by about
 * -sum_i w_i g_i over every element the channel owns ({@link GroupParamSlices}: producer rows, BN gamma and beta,
 * reader columns), so its score is (sum_i w_i g_i)^2 averaged over the training steps seen since the last
 * {@link #reset()}. It needs gradients, so it scores only during gradual pruning: {@link GradualStructuredPruner} feeds it
 * every step's gradients ({@link #observe}) and resets it after each mask update. Before any step has been seen (an
 * iterative schedule's first round at step 0) it falls back to the group L2 norm.
 */
final class GroupTaylorCriterion implements FilterCriterion {
    private final FilterCriterion fallback = FilterCriterion.groupL2();
    private Map<Integer, Map<String, int[][]>> slices;
    private ChannelGroups seenGroups;
    private final Map<Integer, double[]> sums = new HashMap<>();
    private int steps;

    @Override
    public String name() { return "taylor"; }

    /** Adds one step's (sum w*g)^2 per channel, from the parameters' values and gradients as they are after backward. */
    void observe(Graph graph, ChannelGroups groups) {
        if (seenGroups != groups) {
            observeSetup(graph, groups);
            sums.clear();
            steps = 0;
        }
        Map<String, float[]> w = new HashMap<>(), grad = new HashMap<>();
        for (var e : slices.entrySet()) {
            double[] acc = new double[groups.get(e.getKey()).channels()];
            for (var p : e.getValue().entrySet()) {
                Tensor gt = graph.param(p.getKey()).grad();
                if (gt == null) continue;
                float[] v = w.computeIfAbsent(p.getKey(), n -> graph.param(n).value().toFloatArray());
                float[] g = grad.computeIfAbsent(p.getKey(), n -> gt.toFloatArray());
                for (int c = 0; c < acc.length; c++) for (int i : p.getValue()[c]) acc[c] += (double) v[i] * g[i];
            }
            double[] s = sums.computeIfAbsent(e.getKey(), k -> new double[acc.length]);
            for (int c = 0; c < acc.length; c++) s[c] += acc[c] * acc[c];
        }
        steps++;
    }

    /** What a checkpoint keeps: per group the summed squares ({@code taylor/<id>}) and the step count ({@code taylor_steps}). */
    Map<String, dev.nncompress.io.TensorRecord> checkpointState() {
        Map<String, dev.nncompress.io.TensorRecord> out = new java.util.LinkedHashMap<>();
        out.put("taylor_steps", dev.nncompress.train.StateTensors.scalar(steps));
        sums.forEach((id, s) -> out.put("taylor/" + id, dev.nncompress.train.StateTensors.record(s, s.length)));
        return out;
    }

    /** Restores {@link #checkpointState()} for {@code groups} of {@code graph}. */
    void restoreCheckpointState(dev.nncompress.train.StateTensors state, Graph graph, ChannelGroups groups, long maxSteps) {
        seenGroups = null;
        steps = (int) state.scalar("taylor_steps", 0, maxSteps);
        sums.clear();
        if (steps == 0) return;
        observeSetup(graph, groups);
        for (ChannelGroup g : groups.prunable()) sums.put(g.id(), state.doubles("taylor/" + g.id(), g.channels()));
    }

    private void observeSetup(Graph graph, ChannelGroups groups) {
        slices = new HashMap<>();
        for (ChannelGroup g : groups.prunable()) slices.put(g.id(), GroupParamSlices.of(graph, g));
        seenGroups = groups;
    }

    /** Forgets what was observed: the next scores average the steps after this call. */
    void reset() {
        sums.clear();
        steps = 0;
    }

    @Override
    public double[][] scores(Graph graph, ChannelGroups groups) {
        if (steps == 0 || seenGroups != groups) return fallback.scores(graph, groups);
        double[][] out = new double[groups.groups().size()][];
        sums.forEach((id, s) -> {
            double[] mean = new double[s.length];
            for (int c = 0; c < s.length; c++) mean[c] = s[c] / steps;
            out[id] = mean;
        });
        return out;
    }
}
