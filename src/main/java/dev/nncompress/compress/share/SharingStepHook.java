package dev.nncompress.compress.share;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.train.StepHook;

/**
 * Trained weight sharing in a {@link dev.nncompress.train.Trainer}, the way {@code MaskingStepHook} holds
 * pruning masks: after backward every shared weight's gradient is replaced by its centroids' gradients (the sum
 * of each cluster's member gradients; pruned elements 0), so the optimiser moves all members of a cluster by the
 * same step, which is the centroid's update; after the step the centroids are read back and every weight is
 * snapped onto them, so rounding, momentum or weight decay cannot split a cluster and pruned weights stay +0.0.
 * Assignments never change. The gradient round trip to the host costs one copy of each shared weight per step.
 */
public final class SharingStepHook implements StepHook {
    private final Graph graph;
    private final SharedWeights shared;

    /** Writes the centroid values into {@code graph} now. */
    public SharingStepHook(Graph graph, SharedWeights shared) {
        this.graph = graph;
        this.shared = shared;
        shared.applyTo(graph);
    }

    @Override
    public Step begin(Graph trained) {
        checkGraph(trained);
        return new Step() {
            @Override public Graph graph() { return trained; }

            @Override public GraphRunner.OutputHook hook() { return GraphRunner.OutputHook.NONE; }

            @Override
            public void afterBackward() {
                for (var e : shared.layers().entrySet()) {
                    Parameter p = trained.param(e.getKey());
                    if (p.grad() == null) continue;
                    float[] g = e.getValue().centroidGradients(p.grad().toFloatArray());
                    var b = Backend.of(p.grad());
                    try (var t = b.fromFloats(g, p.grad().shape())) {
                        b.copyInto(t, p.grad());
                    }
                }
            }
        };
    }

    @Override
    public void afterUpdate(Graph trained) {
        checkGraph(trained);
        shared.resnap(trained);
    }

    private void checkGraph(Graph trained) {
        if (trained != graph) throw new IllegalArgumentException("this sharing hook was made for graph " + graph.name() + ", not the one being trained");
    }
}
