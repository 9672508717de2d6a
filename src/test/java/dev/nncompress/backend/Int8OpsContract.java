package dev.nncompress.backend;

import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Issue 21's int8 ops: a backend's ({@link #other()}: cpu on our JNI int8 kernels, cuda on its device kernels)
 * against the reference backend (the Java twin), bit for bit, on odd shapes, per tensor and per channel: every op's
 * codes, parameters and float outputs identical. Each case runs the same op on both backends from the same host
 * inputs; the quantize/dequantize cases also check the values against {@code ReferenceOps} on NCHW data, so the
 * channels-last storage is checked, not only agreement. Subclasses: {@code cpu.Int8OpsContractTest},
 * {@code cuda.CudaInt8OpsGpuTest}.
 */
public abstract class Int8OpsContract {
    private final Backend ref = new ReferenceBackend();
    private final SplittableRandom rnd = new SplittableRandom(21);

    /** The backend checked against the reference. */
    protected abstract Backend other();

    private static final QParams A = QParams.perTensor(0.031f, -7), B = QParams.perTensor(0.047f, 11), OUT = QParams.perTensor(0.05f, -3);

    @Test
    protected void quantizeAndDequantizeAgreeAndFollowReferenceOpsPerTensorAndPerChannel() {
        Shape s = Shape.of(3, 5, 7, 9);
        float[] x = values(s.numel(), 4f);
        QParams perChannel = QParams.perChannel(1, new float[] {0.01f, 0.02f, 0.03f, 0.04f, 0.05f}, new int[] {0, -5, 5, 127, -128});
        for (QParams q : List.of(A, perChannel)) {
            QTensor a = ref.quantize(x, s, q), b = other().quantize(x, s, q);
            assertSame(a, b, "quantize " + q);
            float[] want = q.perTensor() ? floats(QuantArithmetic.quantizeS8(x, q.scales(), q.zeroPoints(), 1, 1))
                    : floats(QuantArithmetic.quantizeS8(x, q.scales(), q.zeroPoints(), 5, 63));
            assertArrayEquals(want, a.codes().toFloatArray(), "codes in NCHW order, " + q);
            try (Tensor otherX = other().fromFloats(x, s)) {
                assertSame(a, other().quantize(otherX, q), "quantize of a backend tensor " + q);
            }
            float[] da = ref.dequantize(a).toFloatArray();
            assertArrayEquals(da, other().dequantize(b).toFloatArray(), "dequantize " + q);
            byte[] nchw = new byte[want.length];
            for (int i = 0; i < nchw.length; i++) nchw[i] = (byte) want[i];
            assertArrayEquals(QuantArithmetic.dequantizeS8(nchw, q.scales(), q.zeroPoints(), q.perTensor() ? 1 : 5, q.perTensor() ? 1 : 63), da);
        }
        Shape flat = Shape.of(4, 13);
        float[] f = values(flat.numel(), 2f);
        QParams rows = QParams.perChannel(0, new float[] {0.01f, 0.02f, 0.03f, 0.04f}, new int[] {1, 2, 3, 4});
        assertSame(ref.quantize(f, flat, rows), other().quantize(f, flat, rows), "per channel along axis 0");
        assertSame(ref.requantize(ref.quantize(f, flat, A), OUT), other().requantize(other().quantize(f, flat, A), OUT), "requantize");
    }

    @Test
    protected void convsAndLinearsWithTheFusedEpilogueAgree() {
        for (Conv2dSpec spec : List.of(Conv2dSpec.of(1, 1), new Conv2dSpec(2, 1, 1, 2), Conv2dSpec.of(1, 0), new Conv2dSpec(2, 3, 0, 0))) {
            for (int k : new int[] {3, 1}) {
                if (k == 1 && spec.padH() + spec.padW() > 0) continue; // the native conv takes padding below the window only
                Shape xs = Shape.of(3, 5, 9, 7), ws = Shape.of(6, 5, k, k);
                byte[] w = codes(ws.numel());
                float[] scales = positive(6), bias = values(6, 1f);
                for (boolean relu : new boolean[] {false, true}) {
                    String what = "conv k " + k + " " + spec + " relu " + relu;
                    check(b -> b.qconv2d(b.quantize(values(xs.numel(), 3f, 5), xs, A), prep(b, w, ws, scales, 1), bias, spec, relu, OUT), what);
                    float[] fa = ref.qconv2dFloat(ref.quantize(values(xs.numel(), 3f, 5), xs, A), prep(ref, w, ws, scales, 1), bias, spec, relu).toFloatArray();
                    float[] fb = other().qconv2dFloat(other().quantize(values(xs.numel(), 3f, 5), xs, A), prep(other(), w, ws, scales, 1), null == bias ? null : bias, spec, relu).toFloatArray();
                    assertArrayEquals(fa, fb, what + ", float out");
                }
            }
        }
        Shape dws = Shape.of(10, 1, 3, 3);
        byte[] dw = codes(dws.numel());
        float[] dscales = positive(10);
        Conv2dSpec depthwise = new Conv2dSpec(2, 1, 1, 0, 2, 1, 1, 2, 5);
        check(b -> b.qconv2d(b.quantize(values(3 * 5 * 9 * 7, 3f, 6), Shape.of(3, 5, 9, 7), B), prep(b, dw, dws, dscales, 5), null, depthwise, true, OUT), "depthwise");
        float[] dbias = values(10, 0.5f);
        check(b -> b.qconv2d(b.quantize(values(3 * 5 * 9 * 7, 3f, 6), Shape.of(3, 5, 9, 7), B), prep(b, dw, dws, dscales, 5), dbias, depthwise, false, OUT), "depthwise, bias");
        Shape ls = Shape.of(6, 37), lw = Shape.of(11, 37);
        byte[] w = codes(lw.numel());
        float[] scales = positive(11), bias = values(11, 1f);
        check(b -> b.qlinear(b.quantize(values(ls.numel(), 2f, 7), ls, B), prep(b, w, lw, scales, 1), bias, true, OUT), "linear");
        // conv, ReLU and max-pool in one op (the host backends fuse it where the pool tiles the output: 2x2, 3x2), and
        // as the two ops where it does not (3x3 stride 2); each also equal to the reference's two ops
        Shape ps = Shape.of(3, 8, 9, 7), pw = Shape.of(20, 8, 3, 3);
        byte[] cw = codes(pw.numel());
        float[] cs = positive(20), cb = values(20, 1f);
        for (Pool2dSpec pool : List.of(Pool2dSpec.square(2), new Pool2dSpec(3, 2, 3, 2, 0, 0), new Pool2dSpec(3, 3, 2, 2, 0, 0))) {
            java.util.function.Function<Backend, QTensor> in = b -> b.quantize(values(ps.numel(), 3f, 13), ps, A);
            check(b -> b.qconv2dMaxPool(in.apply(b), prep(b, cw, pw, cs, 1), cb, Conv2dSpec.of(1, 1), true, OUT, pool), "conv + max-pool " + pool);
            assertSame(ref.qmaxPool2d(ref.qconv2d(in.apply(ref), prep(ref, cw, pw, cs, 1), cb, Conv2dSpec.of(1, 1), true, OUT), pool),
                    other().qconv2dMaxPool(in.apply(other()), prep(other(), cw, pw, cs, 1), cb, Conv2dSpec.of(1, 1), true, OUT, pool), "conv then max-pool " + pool);
        }
        assertArrayEquals(ref.qlinearFloat(ref.quantize(values(ls.numel(), 2f, 7), ls, B), prep(ref, w, lw, scales, 1), bias, false).toFloatArray(),
                other().qlinearFloat(other().quantize(values(ls.numel(), 2f, 7), ls, B), prep(other(), w, lw, scales, 1), bias, false).toFloatArray(), "linear, float out");
        QWeight refWeight = prep(ref, w, lw, scales, 1);
        assertThrows(IllegalArgumentException.class, () -> other().qlinear(other().quantize(values(ls.numel(), 2f, 7), ls, B), refWeight, bias, true, OUT),
                "a weight prepared by another backend is refused");
    }

    @Test
    protected void poolsActivationsArithmeticConcatAndReshapeAgree() {
        Shape s = Shape.of(3, 5, 9, 7);
        Function<Backend, QTensor> x = b -> b.quantize(values(s.numel(), 3f, 8), s, A);
        check(b -> b.qmaxPool2d(x.apply(b), new Pool2dSpec(3, 3, 2, 2, 1, 1, 1, 1, false, false)), "max-pool floor");
        check(b -> b.qmaxPool2d(x.apply(b), new Pool2dSpec(3, 2, 2, 2, 0, 0, 0, 1, true, false)), "max-pool ceil");
        check(b -> b.qglobalAvgPool(x.apply(b), OUT), "global average pool");
        check(b -> b.qunary(Unary.CLIP, x.apply(b), 0f, Float.POSITIVE_INFINITY, OUT), "relu");
        check(b -> b.qunary(Unary.HARD_SWISH, x.apply(b), 1f / 6, 0.5f, OUT), "hard swish");
        Shape gate = Shape.of(3, 5, 1, 1);
        check(b -> b.qbinary(Binary.MUL, x.apply(b), b.quantize(values(gate.numel(), 1f, 9), gate, B), OUT), "gate multiply");
        check(b -> b.qbinary(Binary.ADD, x.apply(b), b.quantize(values(s.numel(), 2f, 10), s, B), OUT), "residual add");
        float[] c = values(5, 1f);
        check(b -> b.qbinaryConstant(Binary.SUB, x.apply(b), c, Shape.of(5, 1, 1), true, OUT), "constant first");
        Shape t = Shape.of(3, 2, 9, 7);
        check(b -> b.qconcat(List.of(x.apply(b), b.quantize(values(t.numel(), 2f, 11), t, B)), 1, OUT), "concat channels");
        check(b -> b.qconcat(List.of(x.apply(b), b.quantize(values(s.numel(), 2f, 12), s, A)), 3, A), "concat width");
        check(b -> b.qreshape(x.apply(b), Shape.of(3, 315), null), "flatten");
        check(b -> b.qreshape(x.apply(b), Shape.of(3, 7, 5, 9), OUT), "reshape with requantisation");
        QTensor flat = ref.qreshape(x.apply(ref), Shape.of(3, 315), null);
        assertArrayEquals(x.apply(ref).codes().toFloatArray(), flat.codes().toFloatArray(), "flatten keeps NCHW order");
    }

    /** Int8OpChecks: every backend refuses a bad call with the reference's message, word for word. */
    @Test
    protected void badArgumentsAreRefusedWithTheReferencesMessages() {
        Shape s = Shape.of(3, 5, 9, 7), ls = Shape.of(6, 37), lw = Shape.of(11, 37), ws = Shape.of(6, 5, 3, 3), dws = Shape.of(10, 1, 3, 3);
        Function<Backend, QTensor> x = b -> b.quantize(values(s.numel(), 3f, 8), s, A), flat = b -> b.quantize(values(ls.numel(), 2f, 7), ls, B);
        QParams perChannel = QParams.perChannel(1, new float[] {0.01f, 0.02f, 0.03f, 0.04f, 0.05f}, new int[] {0, -5, 5, 127, -128});
        byte[] w = codes(ws.numel()), lwc = codes(lw.numel()), dw = codes(dws.numel());
        float[] scales = positive(11);
        sameError(b -> b.qlinear(flat.apply(b), prep(b, lwc, lw, scales, 1), new float[3], false, OUT), "qlinear, 3 biases for 11 channels");
        sameError(b -> b.qlinear(x.apply(b), prep(b, lwc, lw, scales, 1), null, false, OUT), "qlinear of a rank-4 input");
        sameError(b -> b.qlinear(flat.apply(b), prep(b, lwc, lw, scales, 1), null, false, perChannel), "qlinear, per-channel output");
        sameError(b -> b.qconv2d(b.quantize(values(s.numel(), 3f, 8), s, perChannel), prep(b, w, ws, positive(6), 1), null, Conv2dSpec.of(1, 1), false, OUT),
                "qconv2d, per-channel activations");
        sameError(b -> b.qconv2d(x.apply(b), prep(b, w, ws, positive(6), 1), null, new Conv2dSpec(1, 1, 1, 1, 1, 1, 2, 2, 1), false, OUT), "qconv2d, dilated");
        sameError(b -> b.qconv2d(x.apply(b), prep(b, dw, dws, positive(10), 5), null, Conv2dSpec.of(1, 1), false, OUT), "qconv2d, groups differ from the weight's");
        sameError(b -> b.qconv2dFloat(x.apply(b), prep(b, dw, dws, positive(10), 5), null, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 5), false),
                "depthwise with float output");
        sameError(b -> b.qmaxPool2d(flat.apply(b), Pool2dSpec.square(2)), "max-pool of a rank-2 input");
        sameError(b -> b.qglobalAvgPool(x.apply(b), perChannel), "global average pool, per-channel output");
        sameError(b -> b.qbinary(Binary.ADD, x.apply(b), flat.apply(b), OUT), "qbinary, ranks differ");
        sameError(b -> b.qbinaryConstant(Binary.MUL, x.apply(b), new float[4], Shape.of(4, 1, 1), false, OUT), "qbinaryConstant, 4 channels against 5");
        sameError(b -> b.qconcat(List.of(x.apply(b), x.apply(b)), 0, OUT), "qconcat along the batch");
        sameError(b -> b.qconcat(List.of(x.apply(b), b.quantize(values(3 * 5 * 8 * 7, 1f, 3), Shape.of(3, 5, 8, 7), A)), 1, OUT), "qconcat, heights differ");
        sameError(b -> b.qreshape(x.apply(b), Shape.of(3, 314), null), "qreshape to another count");
        sameError(b -> b.requantize(x.apply(b), perChannel), "requantize to per-channel parameters");
    }

    private void sameError(Function<Backend, Object> call, String what) {
        String want = assertThrows(IllegalArgumentException.class, () -> call.apply(ref), what + " (reference)").getMessage();
        String got = assertThrows(IllegalArgumentException.class, () -> call.apply(other()), what).getMessage();
        assertEquals(want, got, what);
    }

    // ---- helpers

    private static QWeight prep(Backend b, byte[] w, Shape s, float[] scales, int groups) { return b.prepareQWeight(w, s, scales, groups); }

    private void check(Function<Backend, QTensor> op, String what) {
        assertSame(op.apply(ref), op.apply(other()), what);
    }

    private void assertSame(QTensor a, QTensor b, String what) {
        assertEquals(a.shape(), b.shape(), what + ": shape");
        assertEquals("reference", a.backend().name(), what);
        assertEquals(other().name(), b.backend().name(), what);
        assertEquals(true, a.params().sameAs(b.params()), what + ": params");
        assertArrayEquals(a.codes().toFloatArray(), b.codes().toFloatArray(), what + ": codes");
    }

    private float[] values(int n, float range) { return values(n, range, 0); }

    /** Deterministic values per {@code seed}, so both backends see the same inputs. */
    private static float[] values(int n, float range, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * range);
        return v;
    }

    private byte[] codes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (rnd.nextInt(255) - 127);
        return b;
    }

    private float[] positive(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (0.001 + rnd.nextDouble() * 0.01);
        return v;
    }

    private static float[] floats(byte[] b) {
        float[] f = new float[b.length];
        for (int i = 0; i < b.length; i++) f[i] = b[i];
        return f;
    }
}
