package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/** Argument checks of {@link CpuBackend}; messages name the op, the argument and the shapes. */
final class CpuChecks {
    private CpuChecks() {}

    static CpuTensor cpu(String op, String name, Tensor t) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (!(t instanceof CpuTensor c)) {
            String owner = t.backend() == null ? "no backend" : "backend '" + t.backend().name() + "'";
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " belongs to " + owner + " ("
                    + t.getClass().getSimpleName() + "), not to the cpu backend; copy it with fromFloats(t.toFloatArray(), t.shape())");
        }
        if (c.isClosed()) throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " was closed");
        return c;
    }

    static CpuConv.Geometry conv(String op, Tensor x, Tensor w, Conv2dSpec spec) {
        int[] out = ArgChecks.convOutput(op, x, w, spec);
        Shape xs = x.shape();
        Shape ws = w.shape();
        return new CpuConv.Geometry(xs.dim(0), xs.dim(1), xs.dim(2), xs.dim(3), ws.dim(0), ws.dim(2), ws.dim(3), out[0], out[1], spec);
    }

    static CpuPool.Geometry pool(String op, Shape in, Pool2dSpec spec) {
        int[] out = ArgChecks.poolOutput(op, in, spec);
        return new CpuPool.Geometry(in.dim(0) * in.dim(1), in.dim(2), in.dim(3), out[0], out[1], spec);
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
