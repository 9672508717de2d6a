package dev.nncompress.tensor;

/**
 * An n-dimensional array whose storage belongs to one backend, its {@link #owner()}. Tensors on native or device
 * memory hold that memory until {@link #close()}; heap tensors treat close as a no-op. Code above the
 * backend layer only reads data through the copying accessors below.
 */
public interface Tensor extends AutoCloseable {
    Shape shape();

    DType dtype();

    /** The backend that made this tensor and holds its storage ({@code Backend.of(t)} gives its ops). */
    TensorOwner owner();

    default int numel() { return shape().numel(); }

    /** A copy of the contents as floats (row-major). */
    float[] toFloatArray();

    /** Releases native/device storage; using the tensor afterwards is an error. Idempotent. */
    @Override void close();
}
