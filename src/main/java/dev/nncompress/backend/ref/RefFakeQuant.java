package dev.nncompress.backend.ref;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.FakeQuantChecks;
import dev.nncompress.backend.FakeQuantMask;
import dev.nncompress.backend.FakeQuantResult;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.tensor.Tensor;

/**
 * Fake quantisation on the reference backend: {@link QuantArithmetic#fakeQuantizeS8} and its backward, the CPU twins of
 * the CUDA kernels, which makes this the oracle the other backends are compared with. The mask is a heap byte[].
 */
final class RefFakeQuant {
    private RefFakeQuant() {}

    static FakeQuantResult forward(ReferenceBackend be, Tensor x, QParams spec) {
        float[] xd = ReferenceBackend.data("fakeQuantize", "x", x);
        int[] l = FakeQuantChecks.layout("fakeQuantize", x, spec);
        byte[] mask = new byte[xd.length];
        float[] y = xd.length == 0 ? new float[0] : QuantArithmetic.fakeQuantizeS8(xd, mask, spec.scales(), spec.s8ZeroPoints(), l[0], l[1]);
        return new FakeQuantResult(new HeapTensor(be, y, x.shape()), new FakeQuantMask(x.shape(), be, mask, null));
    }

    static Tensor backward(ReferenceBackend be, Tensor gradOut, FakeQuantMask inRange) {
        float[] g = ReferenceBackend.data("fakeQuantizeBackward", "gradOut", gradOut);
        byte[] mask = (byte[]) FakeQuantChecks.backward("fakeQuantizeBackward", be, gradOut, inRange);
        return new HeapTensor(be, QuantArithmetic.fakeQuantizeS8Backward(g, mask), gradOut.shape());
    }
}
