package dev.nncompress.backend.cpu;

import dev.nncompress.backend.FakeQuantResult;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native per-tensor fake quantisation ({@link NativeFakeQuant}) in every variant this CPU runs: outputs and masks
 * bit-identical to the Java twin ({@link QuantArithmetic#fakeQuantizeS8Range}) on values that probe every step of it
 * (exact halves, which rint sends to even, the range's edges, huge, infinite and NaN values, -0, denormals), lengths
 * with tails, and several scales and zero points; its backward the twin's select; and its entry point's own checks.
 */
class NativeFakeQuantTest {
    private static final CpuBackend CPU = new CpuBackend();
    private static final int BEST = NativeFakeQuant.variant;

    @BeforeAll
    static void library() { assumeTrue(NativeFakeQuant.supported() != 0, "native library not built: " + NativeLibrary.load().reason()); }

    @AfterEach void bestVariant() { NativeFakeQuant.variant = BEST; }

    private static float[] probes(Random rnd, int n, float scale, int zp) {
        float[] v = new float[n];
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e30f, -1e30f,
            Float.MAX_VALUE, 0x1p22f * scale, -0x1p23f * scale};
        for (int i = 0; i < n; i++) {
            switch (i % 4) {
                case 0 -> v[i] = (float) (rnd.nextGaussian() * 200 * scale);
                case 1 -> v[i] = (rnd.nextInt(600) - 300 + 0.5f) * scale;              // halves: ties to even
                case 2 -> v[i] = (rnd.nextInt(8) - 4 + (rnd.nextBoolean() ? -128 : 127) - zp) * scale; // around the range's edges
                default -> v[i] = special[rnd.nextInt(special.length)];
            }
        }
        return v;
    }

    @Test
    void everyVariantIsTheJavaTwinBitForBit() {
        Random rnd = new Random(3);
        float[][] params = {{0.1f, 0}, {3f / 255, -128}, {0.0173f, 17}, {2.5f, 127}, {0x1p-23f, -5}};
        for (int n : new int[] {1, 15, 16, 17, 100, 4099, 70_001}) {
            for (float[] p : params) {
                float scale = p[0];
                int zp = (int) p[1];
                float[] x = probes(rnd, n, scale, zp);
                float[] want = new float[n];
                byte[] wantMask = new byte[n];
                QuantArithmetic.fakeQuantizeS8Range(x, want, wantMask, n, 0, new float[] {scale}, new int[] {zp}, 1, n);
                QParams q = QParams.perTensor(scale, zp);
                for (int v = -1; v <= NativeFakeQuant.AVX512; v++) {
                    if (v >= 0 && (NativeFakeQuant.supported() & (1 << v)) == 0) continue;
                    NativeFakeQuant.variant = v;
                    String what = "variant " + v + ", n " + n + ", scale " + scale + ", zero point " + zp;
                    try (Tensor t = CPU.fromFloats(x, Shape.of(n))) {
                        FakeQuantResult r = CPU.fakeQuantize(t, q);
                        try (Tensor y = r.output(); var mask = r.inRange()) {
                            float[] got = y.toFloatArray();
                            int bad = firstDifference(want, got);
                            assertEquals(-1, bad, () -> what + ": x[" + bad + "] = " + x[bad] + " gave " + got[bad] + ", the twin " + want[bad]);
                            float[] g = probes(rnd, n, 1f, 0);
                            try (Tensor gt = CPU.fromFloats(g, Shape.of(n)); Tensor dx = CPU.fakeQuantizeBackward(gt, mask)) {
                                float[] expect = new float[n];
                                for (int i = 0; i < n; i++) expect[i] = wantMask[i] != 0 ? g[i] : 0f;
                                int badGrad = firstDifference(expect, dx.toFloatArray());
                                assertEquals(-1, badGrad, () -> what + ": mask or gradient at " + badGrad);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void perChannelRunsAreTheJavaTwinBitForBit() {
        Random rnd = new Random(6);
        // [o, c, 3, 3] per output channel: runs of c * 9 (native from 64 on), and per axis 1 of [o, c, 1, 1]: runs of 1 (Java)
        for (int[] shape : new int[][] {{8, 8, 3, 3}, {5, 100, 3, 3}, {3, 7, 3, 3}, {6, 4, 1, 1}}) {
            int axis = shape[2] == 1 ? 1 : 0, channels = shape[axis];
            int n = shape[0] * shape[1] * shape[2] * shape[3], inner = n / (axis == 0 ? shape[0] : shape[0] * shape[1]);
            float[] scales = new float[channels];
            int[] zps = new int[channels];
            for (int c = 0; c < channels; c++) {
                scales[c] = 0.001f + rnd.nextFloat() * 0.05f;
                zps[c] = rnd.nextInt(256) - 128;
            }
            float[] x = probes(rnd, n, 0.02f, 0);
            float[] want = new float[n];
            QuantArithmetic.fakeQuantizeS8Range(x, want, new byte[n], n, 0, scales, zps, channels, inner);
            for (int v = -1; v <= NativeFakeQuant.AVX512; v++) {
                if (v >= 0 && (NativeFakeQuant.supported() & (1 << v)) == 0) continue;
                NativeFakeQuant.variant = v;
                try (Tensor t = CPU.fromFloats(x, Shape.of(shape))) {
                    FakeQuantResult r = CPU.fakeQuantize(t, QParams.perChannel(axis, scales, zps));
                    try (Tensor y = r.output(); var m = r.inRange()) {
                        float[] got = y.toFloatArray();
                        int bad = firstDifference(want, got);
                        String what = "variant " + v + " " + java.util.Arrays.toString(shape) + " axis " + axis;
                        assertEquals(-1, bad, () -> what + ": index " + bad);
                    }
                }
            }
        }
    }

    /** The first index whose bits differ (NaN payloads and -0 included), or -1. */
    private static int firstDifference(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) return i;
        return a.length == b.length ? -1 : a.length;
    }

    @Test
    void minMaxIsTheJavaScansAndRefusesNonFiniteValues() {
        Random rnd = new Random(4);
        for (int n : new int[] {1, 7, 16, 33, 5000}) {
            for (int kind = 0; kind < 4; kind++) {
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    float g = (float) rnd.nextGaussian();
                    x[i] = switch (kind) {
                        case 0 -> g;
                        case 1 -> Math.max(g, 0f) * (rnd.nextInt(3) == 0 ? 1 : 0) * (rnd.nextBoolean() ? 1 : 0) + (i % 5 == 0 ? -0f : 0f); // ReLU-like, zeros of both signs
                        case 2 -> -Math.abs(g) * (i % 3 == 0 ? 0f : 1f) * (i % 2 == 0 ? -1 : 1) * -1; // <= 0 with -0 and +0
                        default -> i % 2 == 0 ? -0f : 0f;
                    };
                }
                float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
                for (float v : x) {
                    if (v < lo) lo = v;
                    if (v > hi) hi = v;
                }
                for (int v = NativeFakeQuant.SCALAR; v <= NativeFakeQuant.AVX512; v++) {
                    if ((NativeFakeQuant.supported() & (1 << v)) == 0) continue;
                    NativeFakeQuant.variant = v;
                    try (Tensor t = CPU.fromFloats(x, Shape.of(n))) {
                        float[] mm = CPU.finiteMinMax(t);
                        String what = "variant " + v + ", n " + n + ", kind " + kind;
                        assertEquals(Float.floatToRawIntBits(lo), Float.floatToRawIntBits(mm[0]), what + " min " + lo + " vs " + mm[0]);
                        assertEquals(Float.floatToRawIntBits(hi), Float.floatToRawIntBits(mm[1]), what + " max " + hi + " vs " + mm[1]);
                        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                            float[] y = x.clone();
                            y[rnd.nextInt(n)] = bad;
                            try (Tensor b = CPU.fromFloats(y, Shape.of(n))) {
                                assertEquals(null, CPU.finiteMinMax(b), what + " with " + bad);
                            }
                        }
                    }
                }
                NativeFakeQuant.variant = -1;
                try (Tensor t = CPU.fromFloats(x, Shape.of(n))) {
                    assertEquals(null, CPU.finiteMinMax(t), "without the library the caller reads the values");
                }
            }
        }
    }

    @Test
    void theEntryPointChecksItsArguments() {
        int v = BEST;
        byte[] mask = new byte[8];
        try (CpuTensor x = (CpuTensor) CPU.fromFloats(new float[8], Shape.of(8)); CpuTensor y = (CpuTensor) CPU.fromFloats(new float[8], Shape.of(8))) {
            long xa = x.address(), ya = y.address();
            NativeFakeQuant.forward(v, xa, 8, ya, 8, mask, 0, 8, 0.5f, 3f); // fits
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.forward(v, xa, 8, ya, 8, new byte[7], 0, 8, 0.5f, 3f));
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.forward(v, xa, 8, ya, 4, mask, 0, 8, 0.5f, 3f));
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.forward(v, xa, 8, ya, 8, mask, 5, 4, 0.5f, 3f));
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.forward(v, xa, 8, ya, 8, mask, 0, 8, 0f, 3f));
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.forward(v, xa, 8, ya, 8, mask, 0, 8, 0.5f, 3.5f));
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.forward(v, xa, 8, ya, 8, mask, 0, 8, 0.5f, 128f));
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.forward(v, 0, 8, ya, 8, mask, 0, 8, 0.5f, 3f));
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.backward(v, xa, 8, ya, 8, null, 0, 8));
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.backward(7, xa, 8, ya, 8, mask, 0, 8));
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.minMax(v, xa, 0, new float[2]));
            assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.minMax(v, xa, 8, new float[1]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeFakeQuant.backward(v, xa, 8, ya, 8, mask, 0, 9));
            assertTrue(e.getMessage().startsWith("native fake quantize backward: range [0, 9)"), e.getMessage());
        }
    }
}
