package dev.nncompress.backend;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QScheme;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What every {@link Backend} owes on fake quantisation ({@link Backend#fakeQuantize}) and its straight-through
 * backward: the reference's values bit for bit (the reference runs QuantArithmetic, the CUDA kernels' twins) on odd
 * sizes, per tensor and per channel on every axis, one tensor large enough to be split over threads or blocks,
 * and hand-worked values (ties at .5 rounding to even, codes beyond [qmin, qmax], NaN and infinities, uint8 codes)
 * that hold for the reference too. Only Backend and ref are used (the CUDA subclass is a gpu test).
 */
public abstract class FakeQuantContractTest {
    private static final QScheme UINT8 = QScheme.perTensorAffine(QDType.UINT8);
    protected static final ReferenceBackend REF = new ReferenceBackend();

    protected abstract Backend backend();

    /** Bit for bit (NaN as NaN), not just ==, so that -0 and +0 are told apart. */
    static void bits(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    private float[] forward(Tensor x, QParams spec, float[] gradOut, float[][] gradIn) {
        Backend b = backend();
        try (Tensor xb = b.fromFloats(x.toFloatArray(), x.shape()); FakeQuantResult r = b.fakeQuantize(xb, spec);
             Tensor g = b.fromFloats(gradOut, x.shape()); Tensor gi = b.fakeQuantizeBackward(g, r.inRange())) {
            assertEquals(x.shape(), r.output().shape());
            gradIn[0] = gi.toFloatArray();
            return r.output().toFloatArray();
        }
    }

    /** Forward and backward against the reference backend's. */
    private void matchesReference(String what, float[] x, Shape shape, QParams spec, Random rnd) {
        float[] g = new float[x.length];
        for (int i = 0; i < g.length; i++) g[i] = (float) rnd.nextGaussian();
        if (g.length > 3) g[3] = Float.NaN; // a NaN gradient stays visible where the mask passes, and is 0 where it blocks
        Tensor xr = REF.fromFloats(x, shape);
        float[][] gotGrad = new float[1][];
        float[] got = forward(xr, spec, g, gotGrad);
        try (FakeQuantResult r = REF.fakeQuantize(xr, spec); Tensor gi = REF.fakeQuantizeBackward(REF.fromFloats(g, shape), r.inRange())) {
            bits(what + " forward", r.output().toFloatArray(), got);
            bits(what + " backward", gi.toFloatArray(), gotGrad[0]);
        }
    }

    private static float[] randn(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    @Test void perTensorAndPerChannelOnOddSizesMatchTheReference() {
        Random rnd = new Random(3);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, 1e30f, -1e30f, Float.MIN_VALUE};
        for (int[] dims : new int[][] {{1}, {37}, {3, 5, 7}, {5, 1, 3, 3}, {2, 7, 1, 9}, {32, 3, 41, 37}}) {
            Shape s = Shape.of(dims);
            float[] x = randn(rnd, s.numel(), 4);
            System.arraycopy(special, 0, x, 0, Math.min(x.length, special.length));
            matchesReference("per tensor " + s, x, s, QParams.perTensor(0.031f, -7), rnd);
            matchesReference("per tensor uint8 " + s, x, s, new QParams(UINT8, new float[] {0.02f}, new int[] {131}), rnd);
            for (int axis = 0; axis < dims.length; axis++) {
                int c = dims[axis];
                float[] scales = new float[c];
                int[] zps = new int[c];
                for (int k = 0; k < c; k++) {
                    scales[k] = (float) (0.005 + rnd.nextDouble() * 0.05);
                    zps[k] = rnd.nextInt(-20, 21);
                }
                matchesReference("per channel axis " + axis + " " + s, x, s, QParams.perChannel(axis, scales, zps), rnd);
            }
        }
    }

    /** Scale 1, zero point 0: the codes are rint(x) clamped to [-128, 127]; the mask is where rint(x) was inside. */
    @Test void tiesRoundToEvenAndOutOfRangeValuesClampWithTheirGradientBlocked() {
        float[] x = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 127.4f, 127.5f, 128f, -128.5f, -129f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] y = {0f, 2f, 2f, 0f, -2f, 127f, 127f, 127f, -128f, -128f, -128f, 127f, -128f};
        float[] pass = {1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0};
        float[] g = new float[x.length];
        java.util.Arrays.fill(g, 2f);
        float[][] gi = new float[1][];
        float[] got = forward(REF.fromFloats(x, Shape.of(x.length)), QParams.perTensor(1f, 0), g, gi);
        bits("forward", y, got);
        for (int i = 0; i < pass.length; i++) pass[i] *= 2f;
        bits("straight-through gradient", pass, gi[0]);
    }

    /** Per channel along dim 1 of [2, 2] with scales {1, 0.5}, zero points {0, 10}; uint8 codes shift the zero point by 128 and nothing else. */
    @Test void perChannelAndUint8CodesByHand() {
        float[] x = {1.25f, 1.25f, -3f, 60f};
        float[][] gi = new float[1][];
        float[] g = {1, 1, 1, 1};
        float[] got = forward(REF.fromFloats(x, Shape.of(2, 2)), QParams.perChannel(1, new float[] {1f, 0.5f}, new int[] {0, 10}), g, gi);
        bits("per channel", new float[] {1f, 1f, -3f, 58.5f}, got); // 60 / 0.5 + 10 = 130 clamps to 127: (127 - 10) * 0.5
        bits("per channel gradient", new float[] {1, 1, 1, 0}, gi[0]);
        float[] u = {-1f, 0.3f, 200f};
        float[] gotU = forward(REF.fromFloats(u, Shape.of(3)), new QParams(UINT8, new float[] {1f}, new int[] {100}), new float[] {1, 1, 1}, gi);
        bits("uint8", new float[] {-1f, 0f, 155f}, gotU); // codes 99, 100, 300 -> 255
        bits("uint8 gradient", new float[] {1, 1, 0}, gi[0]);
    }

    @Test void emptyTensorsGiveEmptyResults() {
        float[][] gi = new float[1][];
        assertArrayEquals(new float[0], forward(REF.fromFloats(new float[0], Shape.of(0, 3)), QParams.perTensor(1f, 0), new float[0], gi));
        assertArrayEquals(new float[0], gi[0]);
    }

    @Test void badArgumentsAreRejectedAlike() {
        Backend b = backend();
        Tensor x = b.fromFloats(new float[6], Shape.of(2, 3));
        assertThrows(IllegalArgumentException.class, () -> b.fakeQuantize(x, QParams.perChannel(1, new float[] {1, 1}, new int[] {0, 0})), "3 channels, 2 scales");
        assertThrows(IllegalArgumentException.class, () -> b.fakeQuantize(x, QParams.perChannel(2, new float[] {1}, new int[] {0})), "no dim 2");
        assertThrows(IllegalArgumentException.class, () -> b.fakeQuantize(null, QParams.perTensor(1, 0)));
        FakeQuantResult r = b.fakeQuantize(x, QParams.perTensor(1, 0));
        assertThrows(IllegalArgumentException.class, () -> b.fakeQuantizeBackward(b.zeros(Shape.of(3, 2)), r.inRange()), "gradient of another shape");
        if (b != REF) {
            assertThrows(IllegalArgumentException.class, () -> b.fakeQuantize(REF.fromFloats(new float[6], Shape.of(2, 3)), QParams.perTensor(1, 0)),
                    "a reference tensor");
            FakeQuantMask foreign = REF.fakeQuantize(REF.fromFloats(new float[6], Shape.of(2, 3)), QParams.perTensor(1, 0)).inRange();
            assertThrows(IllegalArgumentException.class, () -> b.fakeQuantizeBackward(b.zeros(Shape.of(2, 3)), foreign), "another backend's mask");
        }
        r.close();
        assertThrows(IllegalArgumentException.class, () -> b.fakeQuantizeBackward(b.zeros(Shape.of(2, 3)), r.inRange()), "closed mask");
    }

    @Test void specsAreValidatedOnConstruction() {
        assertThrows(IllegalArgumentException.class, () -> QParams.perTensor(0f, 0));
        assertThrows(IllegalArgumentException.class, () -> QParams.perTensor(Float.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> QParams.perTensor(Float.POSITIVE_INFINITY, 0));
        assertThrows(IllegalArgumentException.class, () -> QParams.perTensor(1f, 128));
        assertThrows(IllegalArgumentException.class, () -> new QParams(UINT8, new float[] {1}, new int[] {-1}), "uint8 zero point below 0");
        assertThrows(IllegalArgumentException.class, () -> new QParams(UINT8, new float[] {1, 1}, new int[] {0, 0}), "per tensor, two scales");
        assertThrows(IllegalArgumentException.class, () -> QParams.perChannel(0, new float[] {1}, new int[] {0, 0}));
        assertArrayEquals(new int[] {-28}, new QParams(UINT8, new float[] {1}, new int[] {100}).s8ZeroPoints());
    }
}
