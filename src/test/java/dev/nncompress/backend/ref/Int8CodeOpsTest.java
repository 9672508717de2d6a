package dev.nncompress.backend.ref;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Binary;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Unary;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each int8 op of issue 17 against its float original (the reference backend's op) applied to the dequantised
 * int8 inputs, in NCHW, so that the NHWC storage, broadcasting, requantisation and weights are all checked.
 * Tolerance, in output quantisation steps: tables, arithmetic and concat compute the float op once and round
 * once, so their codes are the float result's nearest code (within 0.5 step, clamped to the code range);
 * depthwise accumulates exactly in int32 where the float conv rounds its sums, so a value at a rounding
 * boundary may land one code away: within 1 step.
 */
class Int8CodeOpsTest {
    private final Backend ref = new ReferenceBackend();
    private final SplittableRandom rnd = new SplittableRandom(17);

    @Test
    void activationTablesGiveTheNearestCodeOfTheFloatActivation() {
        float inScale = 0.047f, outScale = 0.0131f;
        int inZp = -3, outZp = -90;
        Object[][] cases = {{Unary.CLIP, 0f, 6f}, {Unary.LEAKY_RELU, 0.1f, 0f}, {Unary.SIGMOID, 0f, 0f},
                {Unary.HARD_SIGMOID, 0.2f, 0.5f}, {Unary.HARD_SWISH, 1f / 6f, 0.5f}, {Unary.TANH, 0f, 0f}};
        for (Object[] c : cases) {
            Unary kind = (Unary) c[0];
            float a = (float) c[1], b = (float) c[2];
            byte[] table = CodeOps.table(inScale, inZp, x -> RefActivations.forward(kind, x, a, b), outScale, outZp);
            for (int q = -128; q < 128; q++) {
                float want = RefActivations.forward(kind, (q - inZp) * inScale, a, b);
                assertNearestCode(kind + " of code " + q, want, table[q + 128], outScale, outZp, 0.5);
            }
        }
    }

    @Test
    void seGateMultiplyAndResidualAddBroadcastOverNhwcCodes() {
        Shape x = Shape.of(2, 5, 3, 4), gate = Shape.of(2, 5, 1, 1);
        Codes a = codes(x, 0.03f, 7), g = codes(gate, 0.004f, -128), r = codes(x, 0.05f, -20);
        checkBinary(Binary.MUL, a, g, 0.011f, 3); // [C, H, W] x [C, 1, 1]: a squeeze-excitation gate
        checkBinary(Binary.MUL, g, a, 0.011f, 3); // the gate first
        checkBinary(Binary.ADD, a, r, 0.07f, -5); // a residual add
        checkBinary(Binary.SUB, r, a, 0.07f, 0);
        // large enough to split: one long row in pieces (residual add), many short rows in blocks (gate multiply)
        checkBinary(Binary.ADD, codes(Shape.of(1, 4, 100, 100), 0.05f, 3), codes(Shape.of(1, 4, 100, 100), 0.02f, -7), 0.06f, 1);
        checkBinary(Binary.MUL, codes(Shape.of(2, 5, 60, 60), 0.05f, 3), codes(Shape.of(2, 5, 1, 1), 0.004f, -128), 0.01f, 0);
        Codes flat = codes(Shape.of(3, 7), 0.02f, 1), row = codes(Shape.of(3, 1), 0.02f, 0);
        checkBinary(Binary.MUL, flat, codes(Shape.of(3, 7), 0.01f, -128), 0.03f, 0); // rank-1 samples: stored as they are
        checkBinary(Binary.ADD, flat, row, 0.03f, 2);
    }

    @Test
    void arithmeticWithAConstantOnEitherSide() {
        Codes x = codes(Shape.of(2, 5, 3, 4), 0.03f, 7);
        for (Shape cs : List.of(Shape.of(5, 1, 1), Shape.of(1), Shape.of(3, 4), Shape.of(1, 5, 3, 1))) {
            float[] c = gaussian(cs.numel());
            for (int i = 0; i < c.length; i++) c[i] += Math.copySign(1f, c[i]); // away from 0: a divisor
            for (Binary kind : Binary.values()) {
                for (boolean first : new boolean[] {false, true}) {
                    float[] want;
                    try (Tensor tx = ref.fromFloats(x.values(), x.shape); Tensor tc = ref.fromFloats(c, cs);
                         Tensor t = first ? ref.binary(kind, tc, tx) : ref.binary(kind, tx, tc)) {
                        want = t.toFloatArray();
                    }
                    CodeOps.Operand cx = CodeOps.Operand.codes(CodeOps.storageShape(2, x.sample()), x.nhwc, x.scale, x.zp);
                    CodeOps.Operand cc = CodeOps.constant(c, cs, x.sample());
                    byte[] y = new byte[want.length];
                    float outScale = 0.05f;
                    CodeOps.binary(kind, first ? cc : cx, first ? cx : cc, outScale, 0, y);
                    byte[] got = toNchw(y, x.shape);
                    for (int i = 0; i < want.length; i++) {
                        assertNearestCode(kind + " constant " + cs + (first ? " first" : " second") + " at " + i, want[i], got[i], outScale, 0, 0.5);
                    }
                }
            }
        }
    }

    @Test
    void concatRequantisesEveryInputToTheOutputScale() {
        Codes a = codes(Shape.of(2, 3, 4, 5), 0.02f, -10), b = codes(Shape.of(2, 6, 4, 5), 0.05f, 30);
        checkConcat(List.of(a, b), 0, 0.04f, 4); // channels (NHWC: the innermost storage axis)
        checkConcat(List.of(a, a), 0, 0.02f, -10); // inputs at the output's parameters are copied
        Codes c = codes(Shape.of(2, 3, 2, 5), 0.03f, 0);
        checkConcat(List.of(a, c), 1, 0.03f, 0); // rows
    }

    @Test
    void depthwiseConvMatchesTheFloatConvOnDequantisedValues() {
        int n = 2, c = 3, m = 2, h = 9, w = 8, k = 3;
        Conv2dSpec[] specs = {new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, c), new Conv2dSpec(2, 2, 1, 0, 1, 2, 1, 1, c),
                new Conv2dSpec(1, 2, 2, 2, 2, 2, 2, 2, c)};
        for (Conv2dSpec spec : specs) {
            for (boolean relu : new boolean[] {false, true}) {
                Codes x = codes(Shape.of(n, c, h, w), 0.04f, -12);
                float[] wf = gaussian(c * m * k * k);
                float[] scales = new float[c * m];
                byte[] wq = new byte[wf.length];
                for (int o = 0; o < c * m; o++) {
                    float max = 0;
                    for (int i = 0; i < k * k; i++) max = Math.max(max, Math.abs(wf[o * k * k + i]));
                    scales[o] = max / 127.5f;
                    QuantArithmetic.quantizeS8Range(wf, o * k * k, (o + 1) * k * k, scales[o], 0, wq);
                }
                Shape wShape = Shape.of(c * m, 1, k, k);
                float[] bias = gaussian(c * m);
                Int8Depthwise dw = new Int8Depthwise(wq, wShape, c);
                float[] combined = new float[c * m];
                for (int o = 0; o < c * m; o++) combined[o] = x.scale * scales[o];
                int oh = spec.outH(h, k), ow = spec.outW(w, k);
                float outScale = 0.02f;
                int outZp = relu ? -128 : 0;
                byte[] y = new byte[n * oh * ow * c * m];
                dw.run(x.nhwc, n, h, w, x.zp, spec, oh, ow, combined, bias, relu, outScale, outZp, y);
                float[] want;
                try (Tensor tx = ref.fromFloats(x.values(), x.shape); Tensor tw = ref.fromFloats(QuantArithmetic.dequantizeS8(wq, scales, new int[c * m], c * m, k * k), wShape);
                     Tensor tb = ref.fromFloats(bias, Shape.of(c * m)); Tensor t = ref.conv2d(tx, tw, tb, spec)) {
                    want = t.toFloatArray();
                }
                Shape out = Shape.of(n, c * m, oh, ow);
                byte[] got = toNchw(y, out);
                for (int i = 0; i < want.length; i++) {
                    float v = relu ? Math.max(want[i], 0f) : want[i];
                    assertNearestCode("depthwise " + spec + " relu " + relu + " at " + i, v, got[i], outScale, outZp, 1.0);
                }
            }
        }
    }

    @Test
    void globalAveragePoolSumsCodesExactly() {
        Codes x = codes(Shape.of(3, 7, 5, 6), 0.03f, -9);
        float[] v = x.values(), want = new float[3 * 7];
        for (int i = 0; i < want.length; i++) {
            double sum = 0;
            for (int p = 0; p < 30; p++) sum += v[i * 30 + p];
            want[i] = (float) (sum / 30);
        }
        byte[] y = new byte[3 * 7];
        CodeOps.globalAvgPool(x.nhwc, 3, 30, 7, x.scale, x.zp, 0.002f, 4, y);
        for (int i = 0; i < want.length; i++) assertNearestCode("global average pool at " + i, want[i], y[i], 0.002f, 4, 0.5);
    }

    @Test
    void maxPoolOfAnyWindowFormIsTheFloatMaxPoolsCode() {
        Codes x = codes(Shape.of(2, 5, 7, 6), 0.03f, -9);
        for (dev.nncompress.backend.Pool2dSpec s : List.of(new dev.nncompress.backend.Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, true, false),
                new dev.nncompress.backend.Pool2dSpec(2, 3, 2, 1, 1, 0, 0, 2, false, false))) {
            float[] want;
            Shape out;
            try (Tensor tx = ref.fromFloats(x.values(), x.shape); Tensor t = ref.maxPool2d(tx, s)) {
                want = t.toFloatArray();
                out = t.shape();
            }
            byte[] y = new byte[out.numel()];
            CodeOps.maxPool(x.nhwc, 2, 7, 6, 5, s, out.dim(2), out.dim(3), y);
            byte[] got = toNchw(y, out);
            for (int i = 0; i < want.length; i++) assertNearestCode("max-pool " + s + " at " + i, want[i], got[i], x.scale, x.zp, 0);
        }
    }

    @Test
    void onlyGroupedConvsWithOneInputChannelPerGroupAreDepthwise() {
        assertTrue(Int8Depthwise.accepts(Shape.of(8, 1, 3, 3), 4), "4 groups of 1 input channel, multiplier 2");
        assertTrue(!Int8Depthwise.accepts(Shape.of(8, 4, 3, 3), 2), "2 groups of 4 channels: not depthwise");
        assertTrue(!Int8Depthwise.accepts(Shape.of(8, 1, 3, 3), 1), "one group (a 1-channel input) runs as a GEMM");
    }

    // ---- helpers: an int8 tensor as NCHW floats (its dequantised values) and as the engine stores it (NHWC codes)

    private record Codes(Shape shape, byte[] nchw, byte[] nhwc, float scale, int zp) {
        float[] values() {
            float[] v = new float[nchw.length];
            QuantArithmetic.dequantizeS8Range(nchw, 0, v.length, scale, zp, v);
            return v;
        }

        Shape sample() {
            int[] d = new int[shape.rank() - 1];
            for (int i = 0; i < d.length; i++) d[i] = shape.dim(i + 1);
            return Shape.of(d);
        }
    }

    private Codes codes(Shape shape, float scale, int zp) {
        byte[] q = new byte[shape.numel()];
        for (int i = 0; i < q.length; i++) q[i] = (byte) (rnd.nextInt(256) - 128);
        return new Codes(shape, q, shape.rank() == 4 ? toNhwc(q, shape) : q, scale, zp);
    }

    private static byte[] toNhwc(byte[] q, Shape nchw) {
        int n = nchw.dim(0), c = nchw.dim(1), hw = nchw.dim(2) * nchw.dim(3);
        byte[] y = new byte[q.length];
        for (int b = 0; b < n; b++) for (int ch = 0; ch < c; ch++) for (int p = 0; p < hw; p++) y[(b * hw + p) * c + ch] = q[(b * c + ch) * hw + p];
        return y;
    }

    private static byte[] toNchw(byte[] q, Shape nchw) {
        int n = nchw.dim(0), c = nchw.dim(1), hw = nchw.dim(2) * nchw.dim(3);
        byte[] y = new byte[q.length];
        for (int b = 0; b < n; b++) for (int ch = 0; ch < c; ch++) for (int p = 0; p < hw; p++) y[(b * c + ch) * hw + p] = q[(b * hw + p) * c + ch];
        return y;
    }

    private float[] gaussian(int len) {
        float[] v = new float[len];
        for (int i = 0; i < len; i++) v[i] = (float) (rnd.nextGaussian() * 0.5);
        return v;
    }

    private void checkBinary(Binary kind, Codes a, Codes b, float outScale, int outZp) {
        float[] want;
        try (Tensor ta = ref.fromFloats(a.values(), a.shape); Tensor tb = ref.fromFloats(b.values(), b.shape); Tensor t = ref.binary(kind, ta, tb)) {
            want = t.toFloatArray();
            Shape out = t.shape();
            byte[] y = new byte[out.numel()];
            int n = a.shape.dim(0);
            CodeOps.binary(kind, CodeOps.Operand.codes(CodeOps.storageShape(n, a.sample()), a.nhwc, a.scale, a.zp),
                    CodeOps.Operand.codes(CodeOps.storageShape(n, b.sample()), b.nhwc, b.scale, b.zp), outScale, outZp, y);
            byte[] got = out.rank() == 4 ? toNchw(y, out) : y;
            for (int i = 0; i < want.length; i++) assertNearestCode(kind + " " + a.shape + " " + b.shape + " at " + i, want[i], got[i], outScale, outZp, 0.5);
            byte[] viaPairs = new byte[y.length]; // the engine's route for two code tensors: the same codes from a table of every pair
            CodeOps.binary(kind, CodeOps.Operand.codes(CodeOps.storageShape(n, a.sample()), a.nhwc, a.scale, a.zp),
                    CodeOps.Operand.codes(CodeOps.storageShape(n, b.sample()), b.nhwc, b.scale, b.zp), outScale, outZp,
                    CodeOps.pairTable(kind, a.scale, a.zp, b.scale, b.zp, outScale, outZp), viaPairs);
            assertArrayEquals(y, viaPairs, kind + ": pair table vs per-element float");
        }
    }

    private void checkConcat(List<Codes> parts, int axis, float outScale, int outZp) {
        int n = parts.get(0).shape.dim(0);
        List<Tensor> ts = parts.stream().map(p -> ref.fromFloats(p.values(), p.shape)).toList();
        try (Tensor t = ref.concat(ts, axis + 1)) {
            float[] want = t.toFloatArray();
            byte[][] codes = new byte[parts.size()][];
            Shape[] storage = new Shape[parts.size()];
            byte[][] tables = new byte[parts.size()][];
            for (int i = 0; i < codes.length; i++) {
                Codes p = parts.get(i);
                codes[i] = p.nhwc;
                storage[i] = CodeOps.storageShape(n, p.sample());
                if (p.scale != outScale || p.zp != outZp) tables[i] = CodeOps.requantTable(p.scale, p.zp, outScale, outZp);
            }
            byte[] y = new byte[t.shape().numel()];
            CodeOps.concat(codes, storage, tables, CodeOps.storageAxis(axis, 3), y);
            byte[] got = toNchw(y, t.shape());
            for (int i = 0; i < want.length; i++) assertNearestCode("concat axis " + axis + " at " + i, want[i], got[i], outScale, outZp, 0.5);
        } finally {
            ts.forEach(Tensor::close);
        }
    }

    /** {@code code} is within {@code steps} of float value {@code want}'s code (clamped to the code range), with a float-rounding slack. */
    private static void assertNearestCode(String what, float want, byte code, float scale, int zp, double steps) {
        double lo = (-128 - zp) * (double) scale, hi = (127 - zp) * (double) scale;
        double clamped = Math.min(Math.max(want, lo), hi);
        double got = (code - zp) * (double) scale;
        double err = Math.abs(got - clamped) / scale;
        assertTrue(err <= steps + 1e-3, what + ": float " + want + ", int8 " + got + " (" + err + " steps)");
    }

    @Test
    void storageAxesFollowNhwc() {
        assertEquals(3, CodeOps.storageAxis(0, 3));
        assertEquals(1, CodeOps.storageAxis(1, 3));
        assertEquals(2, CodeOps.storageAxis(2, 3));
        assertEquals(1, CodeOps.storageAxis(0, 1));
        assertEquals(Shape.of(2, 4, 5, 3), CodeOps.storageShape(2, Shape.of(3, 4, 5)));
    }
}
