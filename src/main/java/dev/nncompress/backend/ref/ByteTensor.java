package dev.nncompress.backend.ref;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An int8 tensor of a host backend (reference, CPU): its codes in a plain {@code byte[]}, which our int8 kernels
 * (the Java twin and the JNI kernels) read and write directly. A rank-4 tensor's codes are stored channels-last
 * (NHWC) under its logical NCHW shape, as {@code backend.QTensor} says; {@link #toFloatArray} gives the codes in
 * logical order. Arrays come from and go back to a {@link CodePool} (null: none): the int8 engine makes a
 * multi-megabyte array per layer per batch, and fresh ones cost more in zeroing and page faults than the student's
 * layers compute; closing hands the array back, so a closed tensor must not be read (it says so).
 */
public final class ByteTensor implements Tensor {
    private final Backend backend;
    private final byte[] data;
    private final Shape shape;
    private final CodePool pool;
    private final AtomicBoolean closed = new AtomicBoolean();

    ByteTensor(Backend backend, byte[] data, Shape shape, CodePool pool) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.data = Objects.requireNonNull(data, "data");
        this.shape = Objects.requireNonNull(shape, "shape");
        this.pool = pool;
        if (data.length != shape.numel()) throw new IllegalArgumentException("ByteTensor: " + data.length + " codes do not fill shape " + shape);
    }

    /** The live codes in storage order (NHWC for rank 4); not a copy. */
    public byte[] data() {
        if (closed.get()) throw new IllegalStateException("ByteTensor" + shape + " was closed");
        return data;
    }

    /** Whether rank-4 storage is channels-last and differs from NCHW order (several channels and positions). */
    public static boolean transposed(Shape s) { return s.rank() == 4 && s.dim(1) > 1 && s.dim(2) * s.dim(3) > 1; }

    @Override public Shape shape() { return shape; }

    @Override public DType dtype() { return DType.I8; }

    @Override public Backend owner() { return backend; }

    /** The codes as floats, in logical (NCHW) order. */
    @Override public float[] toFloatArray() {
        byte[] d = data();
        float[] stored = new float[d.length];
        for (int i = 0; i < d.length; i++) stored[i] = d[i];
        return logicalOrder(stored, shape);
    }

    /**
     * Values of a tensor of logical shape {@code s} from storage order (channels-last for rank 4) to logical (NCHW)
     * order; {@code stored} itself where the two agree. The one such transpose of every backend's codes and int8 outputs.
     */
    public static float[] logicalOrder(float[] stored, Shape s) {
        return transposed(s) ? Layouts.nhwcToNchw(stored, s.dim(0), Shape.of(s.dim(1), s.dim(2), s.dim(3))) : stored;
    }

    /** Hands the array back to the pool (once). */
    @Override public void close() {
        if (closed.compareAndSet(false, true) && pool != null) pool.give(data);
    }

    @Override public String toString() { return "ByteTensor" + shape; }
}
