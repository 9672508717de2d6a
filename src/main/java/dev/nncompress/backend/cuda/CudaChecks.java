package dev.nncompress.backend.cuda;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Tensor;

/** Argument checks of {@link CudaBackend}; messages name the op, the argument and the shapes, as the other backends'. */
final class CudaChecks {
    private CudaChecks() {}

    /** A float tensor of the cuda backend, open; anything else is an IllegalArgumentException saying what it is. */
    static CudaTensor f32(String op, String name, Tensor t) {
        CudaTensor c = cuda(op, name, t);
        if (c.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " holds " + c.dtype() + ", this op takes F32");
        }
        return c;
    }

    static CudaTensor cuda(String op, String name, Tensor t) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (!(t instanceof CudaTensor c)) {
            String owner = t.owner() == null ? "no backend" : "backend '" + t.owner().name() + "'";
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " belongs to " + owner + " ("
                    + t.getClass().getSimpleName() + "), not to the cuda backend; copy it with fromFloats(t.toFloatArray(), t.shape())");
        }
        if (c.isClosed()) throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " was closed");
        ((CudaBackend) c.owner()).checkOpen();
        return c;
    }

    static DeviceBuffer channelVector(String op, String name, Tensor t, Tensor x) {
        CudaTensor c = f32(op, name, t);
        ArgChecks.channelVector(op, name, t, x);
        return c.buffer();
    }
}
