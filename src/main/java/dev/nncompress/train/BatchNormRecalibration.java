package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Adaptive batch norm (Li et al., EagleEye, ECCV 2020): after structured pruning removed channels, the dense model's
 * BN running statistics no longer describe what each BN sees (its input's sums lost the removed channels' terms),
 * and a pruned net evaluated with them is often near chance. Re-estimating them from a few training images,
 * with no weight update, recovers much of the accuracy at the cost of a few forwards.
 *
 * <p>Each batch runs a training-mode forward (each BN normalises with its batch's statistics, as in training); its
 * running mean and variance end as the image-weighted average of the batches' means and unbiased variances
 * (PyTorch's {@code momentum=None} cumulative average): batch k of b images, after s images already seen, blends
 * with momentum {@code b / (s + b)}, so the first batch overwrites the stale statistics and no old value remains.
 * The momentum is set on a copy of the graph's nodes sharing its {@link dev.nncompress.graph.Parameter}s, so
 * nothing but the running statistics changes and the graph keeps its own momentum attributes.
 */
public final class BatchNormRecalibration {
    private BatchNormRecalibration() {}

    /** The number of BN nodes in {@code g}. */
    public static int batchNorms(Graph g) {
        return (int) g.nodes().stream().filter(n -> n.op() == OpType.BATCHNORM2D).count();
    }

    /**
     * Re-estimates every BN's running statistics of {@code graph} in place from all of {@code images}, in order,
     * {@code batchSize} at a time (the training batch size: BN then normalises each batch as fine-tuning will).
     * Returns the images used; 0 and nothing changed when the graph has no BN.
     */
    public static int recalibrate(Graph graph, Backend backend, Dataset images, int batchSize) {
        Check.positive("batch size", batchSize);
        if (images.count() == 0) throw new IllegalArgumentException("batch norm recalibration needs at least one image");
        if (batchNorms(graph) == 0) return 0;
        int seen = 0;
        int step = 0;
        for (BatchIterator it = Batches.of(images, batchSize).epoch(0); it.hasNext(); step++) {
            Batch b = it.next();
            if (b.size() < 2) break; // an unbiased variance needs two images; at most one leftover image is skipped
            Graph g = withMomentum(graph, (double) b.size() / (seen + b.size()));
            try (GraphRunner run = new GraphRunner(g, backend, true, step);
                 Tensor x = backend.fromFloats(b.images(), Shape.of(b.size(), b.channels(), b.height(), b.width()))) {
                run.forward(x);
            }
            seen += b.size();
        }
        if (seen == 0) throw new IllegalArgumentException("batch norm recalibration needs at least two images, got " + images.count());
        return seen;
    }

    /** {@code g} with every BN's momentum set to {@code m}, sharing g's parameters (so the running stats it updates are g's). */
    private static Graph withMomentum(Graph g, double m) {
        List<Node> nodes = new ArrayList<>(g.nodes().size());
        for (Node n : g.nodes()) {
            if (n.op() != OpType.BATCHNORM2D) {
                nodes.add(n);
                continue;
            }
            Map<String, Double> attrs = new HashMap<>(n.attrs());
            attrs.put("momentum", m);
            nodes.add(new Node(n.name(), n.op(), n.inputs(), attrs));
        }
        return new Graph(g.name(), g.inputShape(), nodes, g.output(), g.params());
    }
}
