package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Binary;
import dev.nncompress.backend.BroadcastGeometry;
import dev.nncompress.backend.PointwiseChecks;
import dev.nncompress.backend.Unary;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import static dev.nncompress.backend.cpu.CpuChecks.cpu;

/** The pointwise ops of {@link CpuBackend}: checks, allocation, and the loops of {@link CpuActivations} and {@link CpuBroadcast}. */
final class CpuPointwise {
    private CpuPointwise() {}

    static Tensor unary(CpuBackend be, Unary kind, Tensor x, float a, float b) {
        CpuTensor cx = cpu("unary", "x", x);
        PointwiseChecks.unary("unary", kind, a, b);
        CpuTensor out = CpuTensor.allocate(be, x.shape());
        if (x.numel() > 0) CpuActivations.forward(kind, cx.address(), out.address(), x.numel(), a, b);
        return out;
    }

    static Tensor unaryBackward(CpuBackend be, Unary kind, Tensor x, Tensor y, Tensor gradOut, float a, float b) {
        String op = "unaryBackward";
        CpuTensor cx = cpu(op, "x", x), cy = cpu(op, "y", y), cg = cpu(op, "gradOut", gradOut);
        PointwiseChecks.unaryBackward(op, kind, a, b, x, y, gradOut);
        CpuTensor dx = CpuTensor.allocate(be, x.shape());
        if (x.numel() > 0) CpuActivations.backward(kind, cx.address(), cy.address(), cg.address(), dx.address(), x.numel(), a, b);
        return dx;
    }

    static Tensor binary(CpuBackend be, Binary kind, Tensor a, Tensor b) {
        CpuTensor ca = cpu("binary", "a", a), cb = cpu("binary", "b", b);
        BroadcastGeometry g = PointwiseChecks.binary("binary", kind, a, b);
        CpuTensor out = CpuTensor.allocate(be, g.out());
        if (!g.isEmpty()) CpuBroadcast.forward(kind, g, ca.address(), cb.address(), out.address());
        return out;
    }

    static Tensor binaryBackward(CpuBackend be, Binary kind, int operand, Tensor a, Tensor b, Tensor gradOut) {
        String op = "binaryBackward";
        CpuTensor ca = cpu(op, "a", a), cb = cpu(op, "b", b), cg = cpu(op, "gradOut", gradOut);
        BroadcastGeometry g = PointwiseChecks.binaryBackward(op, kind, operand, a, b, gradOut);
        Shape s = operand == 0 ? a.shape() : b.shape();
        if (g.isEmpty() || s.numel() == 0) return be.zeros(s); // a sum over no terms
        CpuTensor dx = CpuTensor.allocate(be, s);
        CpuBroadcast.backward(kind, operand, g, ca.address(), cb.address(), cg.address(), dx.address(), s.numel());
        return dx;
    }

    static Tensor softmax(CpuBackend be, Tensor x, int axis) {
        CpuTensor cx = cpu("softmax", "x", x);
        int[] l = PointwiseChecks.softmax("softmax", x, axis);
        CpuTensor out = CpuTensor.allocate(be, x.shape());
        if (x.numel() > 0) CpuActivations.softmax(cx.address(), 0L, out.address(), l[0], l[1], l[2], false);
        return out;
    }

    static Tensor softmaxBackward(CpuBackend be, Tensor y, Tensor gradOut, int axis) {
        String op = "softmaxBackward";
        CpuTensor cy = cpu(op, "y", y), cg = cpu(op, "gradOut", gradOut);
        int[] l = PointwiseChecks.softmaxBackward(op, y, gradOut, axis);
        CpuTensor dx = CpuTensor.allocate(be, y.shape());
        if (y.numel() > 0) CpuActivations.softmax(cy.address(), cg.address(), dx.address(), l[0], l[1], l[2], true);
        return dx;
    }
}
