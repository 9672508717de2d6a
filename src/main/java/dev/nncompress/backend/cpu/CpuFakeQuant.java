package dev.nncompress.backend.cpu;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.FakeQuantChecks;
import dev.nncompress.backend.FakeQuantMask;
import dev.nncompress.backend.FakeQuantResult;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.tensor.Tensor;

import static dev.nncompress.backend.cpu.CpuChecks.cpu;

/**
 * Fake quantisation on the CPU backend: per tensor, or per channel in runs of at least {@link #NATIVE_MIN_RUN}, the native loop
 * of {@link NativeFakeQuant} on the off-heap memory (bit-identical to the reference's loop); otherwise, or without the library, the reference's own loop
 * ({@link QuantArithmetic#fakeQuantizeS8Range}, so the results are its bit for bit) over {@link CpuLoops#CHUNK}-float pieces
 * of off-heap memory copied through per-thread heap arrays; either split over the cores like the other pointwise ops. The mask is a heap byte[] (one byte per element,
 * read by the backward only).
 */
final class CpuFakeQuant {
    private static final ThreadLocal<byte[]> MASK_CHUNK = ThreadLocal.withInitial(() -> new byte[CpuLoops.CHUNK]);

    /** Per-channel runs shorter than this stay on the Java loop (a JNI call per few elements would cost more than it saves). */
    static final int NATIVE_MIN_RUN = 64;

    private CpuFakeQuant() {}

    static FakeQuantResult forward(CpuBackend be, Tensor x, QParams spec) {
        CpuTensor cx = cpu("fakeQuantize", "x", x);
        int[] l = FakeQuantChecks.layout("fakeQuantize", x, spec);
        int n = x.numel(), channels = l[0], inner = l[1];
        float[] scales = spec.scales();
        int[] zeroPoints = spec.s8ZeroPoints();
        byte[] mask = new byte[n];
        CpuTensor out = CpuTensor.allocate(be, x.shape());
        long xa = cx.address(), ya = out.address();
        int variant = NativeFakeQuant.variant;
        if (variant >= 0 && (channels == 1 || inner >= NATIVE_MIN_RUN)) { // the native loop, one call per run of a channel; the same bits
            CpuPar.forElements(n, (from, to) -> {
                for (int e = from; e < to; ) {
                    int c = (int) ((e / inner) % channels);
                    int end = (int) Math.min(to, (long) (e / inner + 1) * inner);
                    NativeFakeQuant.forward(variant, xa, n, ya, n, mask, e, end, scales[c], zeroPoints[c]);
                    e = end;
                }
            });
            return new FakeQuantResult(out, new FakeQuantMask(x.shape(), be, mask, null));
        }
        CpuPar.forElements(n, (from, to) -> {
            float[][] f = CpuLoops.buffers();
            float[] v = f[0], y = f[1];
            byte[] m = MASK_CHUNK.get();
            for (int s = from; s < to; s += CpuLoops.CHUNK) {
                int len = Math.min(CpuLoops.CHUNK, to - s);
                Mem.toArray(xa, s, v, 0, len);
                QuantArithmetic.fakeQuantizeS8Range(v, y, m, len, s, scales, zeroPoints, channels, inner);
                Mem.fromArray(y, 0, ya, s, len);
                System.arraycopy(m, 0, mask, s, len);
            }
        });
        return new FakeQuantResult(out, new FakeQuantMask(x.shape(), be, mask, null));
    }

    static Tensor backward(CpuBackend be, Tensor gradOut, FakeQuantMask inRange) {
        CpuTensor cg = cpu("fakeQuantizeBackward", "gradOut", gradOut);
        byte[] mask = (byte[]) FakeQuantChecks.backward("fakeQuantizeBackward", be, gradOut, inRange);
        CpuTensor dx = CpuTensor.allocate(be, gradOut.shape());
        long ga = cg.address(), da = dx.address();
        int variant = NativeFakeQuant.variant, n = gradOut.numel();
        if (variant >= 0) {
            CpuPar.forElements(n, (from, to) -> NativeFakeQuant.backward(variant, ga, n, da, n, mask, from, to));
            return dx;
        }
        CpuPar.forElements(gradOut.numel(), (from, to) -> {
            float[] v = CpuLoops.buffers()[0];
            for (int s = from; s < to; s += CpuLoops.CHUNK) {
                int len = Math.min(CpuLoops.CHUNK, to - s);
                Mem.toArray(ga, s, v, 0, len);
                QuantArithmetic.fakeQuantizeS8BackwardRange(v, mask, s, len);
                Mem.fromArray(v, 0, da, s, len);
            }
        });
        return dx;
    }

    /** {@link dev.nncompress.backend.Backend#finiteMinMax} in one native pass; null without the library or with a NaN or infinity in x. */
    static float[] finiteMinMax(Tensor x) {
        CpuTensor cx = cpu("finiteMinMax", "x", x);
        int variant = NativeFakeQuant.variant;
        if (variant < 0) return null;
        float[] out = new float[2];
        return NativeFakeQuant.minMax(variant, cx.address(), x.numel(), out) ? out : null;
    }
}
