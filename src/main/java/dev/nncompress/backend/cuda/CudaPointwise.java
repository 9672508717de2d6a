package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Binary;
import dev.nncompress.backend.BroadcastGeometry;
import dev.nncompress.backend.PointwiseChecks;
import dev.nncompress.backend.Unary;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.function.Function;

import static dev.nncompress.backend.cuda.CudaChecks.f32;

/**
 * The pointwise ops of {@link CudaBackend} on our kernels: cuda-kernels/activation.cu
 * ({@code nnc_act_*}), broadcast.cu ({@code nnc_bc_*}) and softmax.cu ({@code nnc_softmax_forward/backward}),
 * twins in {@code backend.ref} (RefActivations, RefBroadcast). A gradient that sums fewer than
 * {@link #BLOCK_SUM_FROM} terms per element runs one thread per element (in the twin's order: exact for
 * one term); longer sums one block per element.
 */
final class CudaPointwise {
    /** Collapsed dims the broadcast kernels take (NNC_BC_RANK). */
    static final int MAX_RANK = 6;
    static final int BLOCK_SUM_FROM = 256;
    /** Most blocks of the block-per-element kernel; it strides over the rest. */
    private static final int MAX_BLOCKS = 65_535 * 8;

    static final String ACT_FORWARD = "nnc_act_forward", ACT_BACKWARD = "nnc_act_backward";
    static final String BC_FORWARD = "nnc_bc_forward", BC_BACKWARD_THREAD = "nnc_bc_backward_thread", BC_BACKWARD_BLOCK = "nnc_bc_backward_block";
    static final String SOFTMAX_FORWARD = "nnc_softmax_forward", SOFTMAX_BACKWARD = "nnc_softmax_backward";

    private CudaPointwise() {}

    static Tensor unary(CudaOps ops, Function<Shape, CudaTensor> alloc, Unary kind, Tensor x, float a, float b) {
        CudaTensor xd = f32("unary", "x", x);
        PointwiseChecks.unary("unary", kind, a, b);
        CudaTensor out = alloc.apply(x.shape());
        ops.elementwise(ACT_FORWARD, x.numel(), actForwardArgs(kind, xd.buffer(), out.buffer(), x.numel(), a, b));
        return out;
    }

    static Tensor unaryBackward(CudaOps ops, Function<Shape, CudaTensor> alloc, Unary kind, Tensor x, Tensor y, Tensor gradOut, float a,
                                float b) {
        String op = "unaryBackward";
        CudaTensor xd = f32(op, "x", x), yd = f32(op, "y", y), gd = f32(op, "gradOut", gradOut);
        PointwiseChecks.unaryBackward(op, kind, a, b, x, y, gradOut);
        CudaTensor dx = alloc.apply(x.shape());
        long n = x.numel();
        ops.elementwise(ACT_BACKWARD, n, actBackwardArgs(kind, xd.buffer(), yd.buffer(), gd.buffer(), dx.buffer(), n, a, b));
        return dx;
    }

    static Tensor binary(CudaOps ops, Function<Shape, CudaTensor> alloc, Binary kind, Tensor a, Tensor b) {
        CudaTensor ad = f32("binary", "a", a), bd = f32("binary", "b", b);
        BroadcastGeometry g = PointwiseChecks.binary("binary", kind, a, b);
        int[] geo = kernelGeometry("binary", g);
        CudaTensor out = alloc.apply(g.out());
        if (g.isEmpty()) return out;
        long n = g.total();
        ops.elementwise(BC_FORWARD, n, bcForwardArgs(kind, ad.buffer(), bd.buffer(), out.buffer(), n, geo));
        return out;
    }

    static Tensor binaryBackward(CudaBackend be, CudaOps ops, Function<Shape, CudaTensor> alloc, Binary kind, int operand, Tensor a, Tensor b,
                                 Tensor gradOut) {
        String op = "binaryBackward";
        CudaTensor ad = f32(op, "a", a), bd = f32(op, "b", b), gd = f32(op, "gradOut", gradOut);
        BroadcastGeometry g = PointwiseChecks.binaryBackward(op, kind, operand, a, b, gradOut);
        int[] geo = kernelGeometry(op, g);
        Shape s = operand == 0 ? a.shape() : b.shape();
        if (g.isEmpty() || s.numel() == 0) return be.zeros(s); // a sum over no terms
        CudaTensor dx = alloc.apply(s);
        int count = s.numel(), terms = g.termsPerElement(operand);
        Object[] args = bcBackwardArgs(kind, operand, ad.buffer(), bd.buffer(), gd.buffer(), dx.buffer(), count, terms, geo);
        if (terms < BLOCK_SUM_FROM) ops.elementwise(BC_BACKWARD_THREAD, count, args);
        else ops.perChannel(BC_BACKWARD_BLOCK, Math.min(count, MAX_BLOCKS), args);
        return dx;
    }

    static Tensor softmax(CudaOps ops, Function<Shape, CudaTensor> alloc, Tensor x, int axis) {
        CudaTensor xd = f32("softmax", "x", x);
        int[] l = PointwiseChecks.softmax("softmax", x, axis);
        CudaTensor out = alloc.apply(x.shape());
        ops.elementwise(SOFTMAX_FORWARD, (long) l[0] * l[2], softmaxArgs(xd.buffer(), null, out.buffer(), l));
        return out;
    }

    static Tensor softmaxBackward(CudaOps ops, Function<Shape, CudaTensor> alloc, Tensor y, Tensor gradOut, int axis) {
        String op = "softmaxBackward";
        CudaTensor yd = f32(op, "y", y), gd = f32(op, "gradOut", gradOut);
        int[] l = PointwiseChecks.softmaxBackward(op, y, gradOut, axis);
        CudaTensor dx = alloc.apply(y.shape());
        ops.elementwise(SOFTMAX_BACKWARD, (long) l[0] * l[2], softmaxArgs(yd.buffer(), gd.buffer(), dx.buffer(), l));
        return dx;
    }

    /**
     * {d0..d5, amask, bmask} for the broadcast kernels: the collapsed dims right-aligned in six (leading 1s),
     * bit k of a mask set where that operand is stretched along kernel dim k. More than six collapsed dims
     * (operands of rank 7 and up, alternating) are refused by name.
     */
    static int[] kernelGeometry(String op, BroadcastGeometry g) {
        int r = g.rank();
        if (r > MAX_RANK) {
            throw new IllegalArgumentException(op + ": the broadcast to " + g.out() + " alternates over " + r + " dims; the cuda kernels take at most "
                    + MAX_RANK);
        }
        int[] k = {1, 1, 1, 1, 1, 1, 0, 0};
        int off = MAX_RANK - r;
        for (int i = 0; i < r; i++) {
            k[off + i] = g.dim(i);
            if (!g.spans(0, i)) k[6] |= 1 << (off + i);
            if (!g.spans(1, i)) k[7] |= 1 << (off + i);
        }
        return k;
    }

    // ---- the launch argument lists, in the kernels' C parameter order (CudaPointwiseLaunchTest checks them against the sources) ----

    static Object[] actForwardArgs(Unary kind, Object x, Object y, long n, float a, float b) { return new Object[] {kind.code(), x, y, n, a, b}; }

    static Object[] actBackwardArgs(Unary kind, Object x, Object y, Object g, Object dx, long n, float a, float b) {
        return new Object[] {kind.code(), x, y, g, dx, n, a, b};
    }

    static Object[] bcForwardArgs(Binary kind, Object a, Object b, Object out, long n, int[] geo) {
        return new Object[] {kind.code(), a, b, out, n, geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7]};
    }

    static Object[] bcBackwardArgs(Binary kind, int operand, Object a, Object b, Object g, Object dx, int count, int terms, int[] geo) {
        return new Object[] {kind.code(), operand, a, b, g, dx, count, terms, geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7]};
    }

    /** Forward (g null): x, y; backward: y, g, dx; then outer, k, inner. */
    static Object[] softmaxArgs(Object in, Object g, Object out, int[] l) {
        return g == null ? new Object[] {in, out, l[0], l[1], l[2]} : new Object[] {in, g, out, l[0], l[1], l[2]};
    }
}
