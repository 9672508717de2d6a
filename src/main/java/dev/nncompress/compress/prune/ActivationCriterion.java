package dev.nncompress.compress.prune;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Activation-weighted magnitude: score = |w| x mean |x_c|, where x_c is input channel c of the weight's layer
 * (conv weight [O, C, kH, kW]: the conv input's channel c over N, H, W; linear weight [out, in]: input
 * feature in), averaged over the calibration images ({@link ActivationStatistics}).
 *
 * <p>Why this and not a per-output mean activation or APoZ: those rank whole output channels, which is a
 * structured decision; a single weight's contribution to its output is w * x_c, so its expected size is
 * |w| E|x_c|. A weight reading a channel that is almost always zero (a dead ReLU, black image borders) is
 * cheap to remove even when |w| is large. This is the Wanda criterion (Sun et al. 2023) with the mean
 * absolute value where Wanda takes the L2 norm.
 */
public final class ActivationCriterion implements ImportanceCriterion {
    private final Calibration calib;

    public ActivationCriterion(Calibration calib) { this.calib = calib; }

    @Override public String name() { return "activation"; }

    @Override
    public Map<String, float[]> scores(Graph graph, PruneTargets targets) {
        Set<String> inputs = new LinkedHashSet<>();
        for (String layer : targets.layers()) inputs.add(graph.node(layer).inputs().get(0));
        Map<String, ActivationStatistics.Channels> stats = ActivationStatistics.gather(graph, inputs, calib);
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String layer : targets.layers()) {
            Node n = graph.node(layer);
            String name = PruneTargets.weightOf(layer);
            var w = graph.param(name).value();
            double[] act = stats.get(n.inputs().get(0)).meanAbs();
            int inChannels = w.shape().dim(1);
            if (act.length != inChannels) {
                throw new IllegalStateException(layer + ": weight has " + inChannels + " input channels but its input has " + act.length);
            }
            int perChannel = w.numel() / (w.shape().dim(0) * inChannels); // kH*kW for conv, 1 for linear
            float[] v = w.toFloatArray();
            for (int i = 0; i < v.length; i++) v[i] = (float) (Math.abs(v[i]) * act[(i / perChannel) % inChannels]);
            out.put(name, v);
        }
        return out;
    }
}
