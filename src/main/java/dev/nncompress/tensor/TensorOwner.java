package dev.nncompress.tensor;

/**
 * What made a tensor and holds its storage: a compute backend. {@code tensor} sits below the backend
 * layer, so a tensor names its owner by this small interface rather than by {@code backend.Backend}
 * (which extends it); code that needs the owner's ops gets them through {@code Backend.of(tensor)}.
 */
public interface TensorOwner {
    /** Short name shown to users: "cpu", "reference", "cuda". */
    String name();
}
