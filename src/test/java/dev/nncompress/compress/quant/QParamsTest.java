package dev.nncompress.compress.quant;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QScheme;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class QParamsTest {
    private static final QScheme SYM_S8 = QScheme.perTensorSymmetric(QDType.INT8);
    private static final QScheme AFF_S8 = QScheme.perTensorAffine(QDType.INT8);
    private static final QScheme AFF_U8 = QScheme.perTensorAffine(QDType.UINT8);

    @Test
    void rangesFollowTorchAoConventions() {
        // symmetric: max(|min|, |max|) / 127.5 (torch: max_val_pos / (float(quant_max - quant_min) / 2))
        QParams s = QParams.fromRange(SYM_S8, -2f, 1f);
        assertEquals(2f / 127.5f, s.scale(0));
        assertEquals(0, s.zeroPoint(0));
        assertEquals(128, QParams.fromRange(QScheme.perTensorSymmetric(QDType.UINT8), -2f, 1f).zeroPoint(0));
        // affine [-1, 3]: scale 4/255, -1/scale = -63.75 -> rint -64 -> zp = qmin + 64
        QParams a = QParams.fromRange(AFF_S8, -1f, 3f);
        assertEquals(4f / 255f, a.scale(0));
        assertEquals(-128 + 64, a.zeroPoint(0));
        assertEquals(64, QParams.fromRange(AFF_U8, -1f, 3f).zeroPoint(0));
        // the range always includes 0: [1, 3] behaves as [0, 3]
        QParams pos = QParams.fromRange(AFF_U8, 1f, 3f);
        assertEquals(3f / 255f, pos.scale(0));
        assertEquals(0, pos.zeroPoint(0));
        // all-zero tensor: scale floored at float32 eps; affine zp = qmin - round(0)
        QParams z = QParams.fromRange(AFF_S8, 0f, 0f);
        assertEquals(QParams.EPS, z.scale(0));
        assertEquals(-128, z.zeroPoint(0));
        assertEquals(1.1920929e-7f, QParams.EPS);
    }

    @ParameterizedTest
    @EnumSource(QDType.class)
    void roundTripErrorIsAtMostHalfAScaleInsideTheRange(QDType t) {
        float[][] ranges = {{-1f, 3f}, {-0.3f, 0.01f}, {0f, 6f}, {-5f, 0f}, {-2.5f, 2.5f}};
        for (boolean symmetric : new boolean[] {true, false}) {
            for (float[] r : ranges) {
                QParams p = QParams.fromRange(new QScheme(t, symmetric, QScheme.PER_TENSOR), r[0], r[1]);
                float[] x = Samples.uniform(7, 4001, r[0], r[1]);
                x[0] = r[0];
                x[1] = r[1];
                x[2] = 0f;
                float[] y = p.dequantize(p.quantize(x));
                float s = p.scale(0);
                for (int i = 0; i < x.length; i++) {
                    // half a step, plus float rounding of x / s and (q - zp) * s (a few ulps)
                    float xi = x[i], yi = y[i];
                    assertTrue(Math.abs(yi - xi) <= s / 2 * (1 + 1e-5f), () -> p + " x=" + xi + " y=" + yi);
                }
                assertEquals(0f, p.dequantize(p.quantize(new float[] {0f}))[0], p + ": 0 must be exact");
                assertArrayEquals(y, p.fakeQuantize(x), "fake quantisation = dequantize(quantize)");
            }
        }
    }

    @Test
    void int8AgreesBitForBitWithReferenceOpsPerChannel() {
        // axis 1 of [3, 5, 7]: channel of element i is (i / 7) % 5
        QScheme scheme = QScheme.perChannelAffine(QDType.INT8, 1);
        SplittableRandom r = new SplittableRandom(3);
        float[] mins = new float[5], maxs = new float[5];
        for (int c = 0; c < 5; c++) {
            mins[c] = (float) -r.nextDouble(0.1, 3);
            maxs[c] = (float) r.nextDouble(0.1, 3);
        }
        QParams p = QParams.fromRanges(scheme, mins, maxs);
        float[] x = Samples.gaussian(4, 3 * 5 * 7, 2);
        Shape shape = Shape.of(3, 5, 7);
        byte[] q = p.quantize(x, shape);
        assertArrayEquals(QuantArithmetic.quantizeS8(x, p.scales(), p.zeroPoints(), 5, 7), q);
        assertArrayEquals(QuantArithmetic.dequantizeS8(q, p.scales(), p.zeroPoints(), 5, 7), p.dequantize(q, shape));
        for (int i = 0; i < x.length; i++) {
            int c = (i / 7) % 5;   // plain definition, written out
            int expect = (int) Math.max(-128, Math.min(127, Math.rint(x[i] / p.scale(c)) + p.zeroPoint(c)));
            if (expect != q[i]) fail("element " + i + ": code " + q[i] + ", expected " + expect);
        }
    }

    @Test
    void uint8MatchesItsPlainDefinition() {
        QParams p = QParams.fromRange(AFF_U8, -0.7f, 2.9f);
        float[] x = Samples.uniform(5, 5000, -1.5, 4);   // includes clamped values on both sides
        byte[] q = p.quantize(x);
        float[] y = p.dequantize(q);
        for (int i = 0; i < x.length; i++) {
            int expect = (int) Math.max(0, Math.min(255, (float) Math.rint(x[i] / p.scale(0)) + (float) p.zeroPoint(0)));
            if (expect != Byte.toUnsignedInt(q[i])) fail("x=" + x[i] + ": code " + Byte.toUnsignedInt(q[i]) + ", expected " + expect);
            assertEquals((float) (expect - p.zeroPoint(0)) * p.scale(0), y[i]);
        }
    }

    @Test
    void invalidParametersAreRejectedWithTheReason() {
        assertMessage("scale[0] must be > 0", () -> new QParams(AFF_S8, new float[] {0f}, new int[] {0}));
        assertMessage("scale[0] must be > 0", () -> new QParams(AFF_S8, new float[] {Float.NaN}, new int[] {0}));
        assertMessage("finite", () -> new QParams(AFF_S8, new float[] {Float.POSITIVE_INFINITY}, new int[] {0}));
        assertMessage("outside [0, 255]", () -> new QParams(AFF_U8, new float[] {1f}, new int[] {-1}));
        assertMessage("outside [-128, 127]", () -> new QParams(AFF_S8, new float[] {1f}, new int[] {128}));
        assertMessage("symmetric scheme has zero point 0", () -> new QParams(SYM_S8, new float[] {1f}, new int[] {3}));
        assertMessage("one scale", () -> new QParams(AFF_S8, new float[] {1f, 1f}, new int[] {0, 0}));
        assertMessage("min <= max", () -> QParams.fromRange(AFF_S8, 2f, 1f));
        assertMessage("finite", () -> QParams.fromRange(AFF_S8, Float.NaN, 1f));
        assertMessage("axis must be", () -> new QScheme(QDType.INT8, true, -2));
        QParams pc = QParams.fromRanges(QScheme.perChannelSymmetric(QDType.INT8, 0), new float[] {-1, -2}, new float[] {1, 2});
        assertMessage("has 3 channels, parameters have 2", () -> pc.quantize(new float[6], Shape.of(3, 2)));
        assertMessage("has 6 elements, data has 5", () -> pc.quantize(new float[5], Shape.of(2, 3)));
    }

    static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(part), "message '" + ex.getMessage() + "' should contain '" + part + "'");
    }
}
