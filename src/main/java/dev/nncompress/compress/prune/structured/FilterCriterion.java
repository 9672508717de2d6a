package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;

/**
 * How important each channel of each group is; structured pruning keeps the highest scores. A small
 * interface so that further criteria (e.g. first-order Taylor scores from gradients) can join without
 * touching the pruner.
 */
public interface FilterCriterion {
    /** Short name for reports ("l1", "apoz", ...). */
    String name();

    /**
     * Scores indexed by group id: for every prunable group one value per channel (higher = keep); the
     * entries of fixed groups may be null.
     */
    double[][] scores(Graph graph, ChannelGroups groups);

    /** Sum over the group's producer convs of the L1 norm of each filter. */
    static FilterCriterion l1() { return new WeightNormCriterion(1); }

    /** Sum over the group's producer convs of the L2 norm of each filter. */
    static FilterCriterion l2() { return new WeightNormCriterion(2); }

    /** L2 norm over every parameter slice of the channel: producer rows and biases, BN gamma and beta, reader columns. */
    static FilterCriterion groupL2() { return new CoupledSliceCriterion(CoupledSliceCriterion.Kind.GROUP_L2); }

    /** |gamma| summed over the group's batch norms (network slimming); group L2 for a group without one. */
    static FilterCriterion bnGamma() { return new CoupledSliceCriterion(CoupledSliceCriterion.Kind.BN_GAMMA); }

    /**
     * (sum of w * dL/dw over each channel's coupled slices)^2, averaged over the training steps between mask updates; only
     * for gradual pruning ({@link GradualStructuredPruner} feeds it the gradients), group L2 before any step.
     */
    static FilterCriterion taylor() { return new GroupTaylorCriterion(); }

    /**
     * 1 - APoZ (average percentage of zeros after the group's ReLUs) on calibration images: channels that
     * are almost always zero matter least.
     *
     * @param images normalised images, {@code batch} or more of the graph's input size each, in NCHW order
     */
    static FilterCriterion apoz(Backend backend, float[] images, int batch) {
        return new ActivationCriterion(ActivationCriterion.Statistic.APOZ, backend, images, batch);
    }

    /** Mean activation after the group's ReLUs on calibration images. */
    static FilterCriterion meanActivation(Backend backend, float[] images, int batch) {
        return new ActivationCriterion(ActivationCriterion.Statistic.MEAN, backend, images, batch);
    }
}
