package dev.nncompress.backend;

import dev.nncompress.quant.QParams;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * The argument checks of {@link Backend#fakeQuantize} and {@link Backend#fakeQuantizeBackward}, shared by every
 * backend so that all reject the same inputs with the same messages (the spec's own values are checked by
 * {@link QParams}).
 */
public final class FakeQuantChecks {
    private FakeQuantChecks() {}

    /**
     * {channels, inner} of x under the spec: element i belongs to channel (i / inner) % channels, the map of
     * the quantise kernels and their twins (per tensor: channels = 1). The axis must be a dim of x whose size
     * is the spec's channel count.
     */
    public static int[] layout(String op, Tensor x, QParams spec) {
        if (x == null) throw new IllegalArgumentException(op + ": x is null");
        if (spec == null) throw new IllegalArgumentException(op + ": spec is null");
        Shape s = x.shape();
        if (!spec.perChannel()) return new int[] {1, Math.max(1, s.numel())};
        if (spec.axis() >= s.rank()) throw new IllegalArgumentException(op + ": axis " + spec.axis() + " is not a dim of " + s);
        if (s.dim(spec.axis()) != spec.channels()) {
            throw new IllegalArgumentException(op + ": dim " + spec.axis() + " of " + s + " has " + s.dim(spec.axis()) + " channels, the spec " + spec.channels());
        }
        return new int[] {spec.channels(), Math.max(1, s.sizeAfter(spec.axis()))};
    }

    /** The mask of this backend, open, for gradients of its shape; returns the backend's form of it. */
    public static Object backward(String op, Backend backend, Tensor gradOut, FakeQuantMask inRange) {
        if (gradOut == null) throw new IllegalArgumentException(op + ": gradOut is null");
        if (inRange == null) throw new IllegalArgumentException(op + ": inRange is null");
        if (inRange.owner() != backend) throw new IllegalArgumentException(op + ": the mask belongs to backend '" + inRange.owner().name() + "', not to this " + backend.name() + " backend");
        if (inRange.isClosed()) throw new IllegalArgumentException(op + ": the mask " + inRange.shape() + " was closed");
        ArgChecks.expectShape(op, "gradOut", gradOut, inRange.shape());
        return inRange.prepared();
    }
}
