package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.tensor.Tensor;

/** Argument checks of {@link CpuBackend}; messages name the op, the argument and the shapes. */
final class CpuChecks {
    private CpuChecks() {}

    static CpuTensor cpu(String op, String name, Tensor t) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (!(t instanceof CpuTensor c)) {
            String owner = t.owner() == null ? "no backend" : "backend '" + t.owner().name() + "'";
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " belongs to " + owner + " ("
                    + t.getClass().getSimpleName() + "), not to the cpu backend; copy it with fromFloats(t.toFloatArray(), t.shape())");
        }
        if (c.isClosed()) throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " was closed");
        return c;
    }

    static CpuNorm.Layout norm(String op, Tensor x) {
        int[] l = ArgChecks.normLayout(op, x);
        return new CpuNorm.Layout(l[0], l[1], l[2]);
    }

    static long channelVector(String op, String name, Tensor t, Tensor x) {
        CpuTensor c = cpu(op, name, t);
        ArgChecks.channelVector(op, name, t, x);
        return c.address();
    }
}
