package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.ActivationOp;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Channel statistics of the activations after a group's ReLUs (RELU nodes carrying the group's
 * channels, ReLU6 as CLIP with min 0, or producer convs/linears with a fused ReLU), gathered by an output hook during inference
 * passes over calibration images. A group with several ReLUs (a residual group) pools all their values; a group
 * channel that is several channels of a value (a depthwise conv's multiplier) pools those too.
 * For a neuron group each hidden neuron is a channel with one value per image.
 */
final class ActivationCriterion implements FilterCriterion {
    enum Statistic { APOZ, MEAN }

    private final Statistic statistic;
    private final Backend backend;
    private final float[] images;
    private final int batch;

    ActivationCriterion(Statistic statistic, Backend backend, float[] images, int batch) {
        if (batch <= 0) throw new IllegalArgumentException("calibration batch must be positive, got " + batch);
        if (images == null || images.length == 0) throw new IllegalArgumentException("no calibration images");
        this.statistic = statistic;
        this.backend = backend;
        this.images = images;
        this.batch = batch;
    }

    @Override
    public String name() { return statistic == Statistic.APOZ ? "apoz" : "mean-activation"; }

    @Override
    public double[][] scores(Graph graph, ChannelGroups groups) {
        int perImage = graph.inputShape().numel();
        if (images.length % perImage != 0) {
            throw new IllegalArgumentException("calibration images hold " + images.length + " values, not a multiple of one "
                    + graph.inputShape() + " image (" + perImage + ")");
        }
        Map<String, List<ChannelGroup>> observed = observationPoints(graph, groups);
        Map<Integer, Stats> stats = new HashMap<>();
        for (ChannelGroup g : groups.prunable()) stats.put(g.id(), new Stats(g.channels()));
        int total = images.length / perImage;
        for (int start = 0; start < total; start += batch) {
            int n = Math.min(batch, total - start);
            float[] x = new float[n * perImage];
            System.arraycopy(images, start * perImage, x, 0, x.length);
            try (Tensor in = backend.fromFloats(x, inputShape(graph, n));
                 GraphRunner run = new GraphRunner(graph, backend, false, 0)) {
                run.forward(in, (node, t) -> {
                    for (ChannelGroup g : observed.getOrDefault(node, List.of())) stats.get(g.id()).accumulate(g, node, t);
                    return t;
                });
            }
        }
        double[][] out = new double[groups.groups().size()][];
        for (ChannelGroup g : groups.prunable()) {
            Stats st = stats.get(g.id());
            double[] s = new double[g.channels()];
            for (int c = 0; c < s.length; c++) s[c] = statistic == Statistic.APOZ ? 1 - st.zeros[c] / st.counts[c] : st.sums[c] / st.counts[c];
            out[g.id()] = s;
        }
        return out;
    }

    /**
     * Post-ReLU node outputs of every prunable group (a value whose channels several groups share, a concat's, is
     * observed for each); a group without one is an error naming it.
     */
    private static Map<String, List<ChannelGroup>> observationPoints(Graph graph, ChannelGroups groups) {
        Map<String, List<ChannelGroup>> out = new HashMap<>();
        Map<String, Shape> shapes = graph.inferShapes();
        for (ChannelGroup g : groups.prunable()) {
            List<String> points = new ArrayList<>();
            for (String v : g.values()) {
                Node n = graph.node(v);
                // a ReLU's output: RELU, CLIP with min 0 (ReLU6, issue 17), or a fused one; sigmoid, tanh, leaky ReLU and the
                // hard ones do not zero what they cut, so their outputs are no evidence for APoZ or mean activation
                boolean postRelu = ActivationOp.zeroesNegatives(n) || ((n.op() == OpType.CONV2D || n.op() == OpType.LINEAR) && FusedRelu.on(n));
                // only values whose axis 0 is the channel: [C, H, W], or [C] with one feature per channel (neurons,
                // global pooling); a ReLU after Flatten has C*H*W features and no channel axis left to count along
                Shape s = shapes.get(v);
                if (postRelu && (s.rank() == 3 || (s.rank() == 1 && s.dim(0) == groups.valueChannels().get(v)))) points.add(v);
            }
            if (points.isEmpty()) {
                throw new IllegalArgumentException("group " + g.id() + " (" + String.join(" + ", g.producers())
                        + ") has no ReLU output to observe; use an activation-free criterion such as l1 or l2");
            }
            for (String p : points) out.computeIfAbsent(p, k -> new ArrayList<>()).add(g);
        }
        return out;
    }

    /** Zeros, sums and counts of the values observed for each channel of one group, pooled over its observation points. */
    private static final class Stats {
        final double[] zeros, sums, counts;

        Stats(int channels) {
            zeros = new double[channels];
            sums = new double[channels];
            counts = new double[channels];
        }

        /** {@code t} is [N, C, H, W] or [N, C], the output of {@code node}; only the value's channels in {@code g} count. */
        void accumulate(ChannelGroup g, String node, Tensor t) {
            Shape s = t.shape();
            float[] v = t.toFloatArray();
            int c = s.dim(1), hw = s.rank() == 4 ? s.dim(2) * s.dim(3) : 1;
            int[] channelOf = new int[c]; // the value's channel to the group's, -1 when another group holds it
            java.util.Arrays.fill(channelOf, -1);
            int[][] per = g.slices().get(node).perChannel();
            for (int k = 0; k < per.length; k++) for (int ch : per[k]) channelOf[ch] = k;
            for (int i = 0; i < v.length; i++) {
                int k = channelOf[(i / hw) % c];
                if (k < 0) continue;
                if (v[i] == 0f) zeros[k]++;
                sums[k] += v[i];
                counts[k]++;
            }
        }
    }

    private static Shape inputShape(Graph g, int n) {
        int[] d = new int[g.inputShape().rank() + 1];
        d[0] = n;
        for (int i = 0; i < g.inputShape().rank(); i++) d[i + 1] = g.inputShape().dim(i);
        return Shape.of(d);
    }
}
