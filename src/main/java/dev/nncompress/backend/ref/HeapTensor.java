package dev.nncompress.backend.ref;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Objects;

/**
 * A float32 tensor stored row-major in a plain Java array. It holds no native memory, so
 * {@link #close()} does nothing and the tensor stays usable afterwards.
 */
public final class HeapTensor implements Tensor {
    private final Backend backend;
    private final float[] data;
    private final Shape shape;

    /** Wraps {@code data} (not copied) as a tensor of {@code shape} owned by {@code backend}. */
    public HeapTensor(Backend backend, float[] data, Shape shape) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.data = Objects.requireNonNull(data, "data");
        this.shape = Objects.requireNonNull(shape, "shape");
        if (data.length != shape.numel()) {
            throw new IllegalArgumentException("HeapTensor: " + data.length + " values do not fill shape " + shape
                    + " (" + shape.numel() + " elements)");
        }
    }

    /** Same as the constructor; reads better at call sites. */
    public static HeapTensor wrap(Backend backend, float[] data, Shape shape) {
        return new HeapTensor(backend, data, shape);
    }

    /** The live backing array (not a copy): writes to it change the tensor. */
    public float[] data() { return data; }

    @Override public Shape shape() { return shape; }

    @Override public DType dtype() { return DType.F32; }

    @Override public Backend owner() { return backend; }

    @Override public float[] toFloatArray() { return data.clone(); }

    /** Nothing to release: the array belongs to the Java heap. */
    @Override public void close() {}

    @Override public String toString() { return "HeapTensor" + shape; }
}
