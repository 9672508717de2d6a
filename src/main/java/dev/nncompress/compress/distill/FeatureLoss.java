package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/**
 * A loss between one student feature map and one teacher feature map (a chosen layer pair): FitNets hints through
 * a learned 1x1 adapter ({@link HintLoss}) or attention transfer ({@link AttentionTransfer}).
 */
public interface FeatureLoss extends AutoCloseable {
    /** Node of the student whose output is matched. */
    String studentNode();

    /** Node of the teacher whose output is the target. */
    String teacherNode();

    /** Refuses feature shapes ([C, H, W] per sample) this loss cannot match, naming the nodes. */
    void checkShapes(Shape student, Shape teacher);

    /**
     * The weighted loss and its gradient w.r.t. {@code student} (a new tensor, the caller's to close); gradients of
     * the loss's own parameters accumulate into them.
     */
    Result compute(Backend backend, Tensor student, Tensor teacher);

    /**
     * Whether the loss can run from a cache ({@link CachedTeacherFeatures}) instead of a live teacher: true when it
     * needs only a small per-sample summary of the teacher's feature ({@link #teacherTargets}), not the map itself.
     */
    default boolean cacheable() { return false; }

    /** Floats per sample the loss keeps of a teacher feature of shape [C, H, W] (per sample): the map unless cacheable. */
    default int teacherTargetWidth(Shape teacherFeature) { return teacherFeature.numel(); }

    /** The per-sample targets, [N * width] row-major, this loss derives from the teacher's feature [N, C, H, W]. */
    default float[] teacherTargets(Tensor teacherFeature) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " needs the teacher's whole feature map and is not cacheable");
    }

    /** {@link #compute} against {@link #teacherTargets} rows (from a cache) instead of the teacher's feature. */
    default Result computeFromTargets(Backend backend, Tensor student, float[] teacherTargets) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " needs the teacher's whole feature map and is not cacheable");
    }

    /** Trainable parameters of the loss (the adapter's), trained with the student. */
    default List<Parameter> parameters() { return List.of(); }

    @Override default void close() {}

    record Result(float loss, Tensor gradStudent) {}
}
