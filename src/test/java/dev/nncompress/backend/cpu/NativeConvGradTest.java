package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.nncompress.backend.cpu.ConvGradArrays.gaussian;
import static dev.nncompress.backend.cpu.ConvGradArrays.near;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The AVX-512 conv backward ({@link NativeConvGrad}, route AVX512; issue 23): dx, dw and db against the reference
 * backend on odd geometries (channels not multiples of 16, one input channel, asymmetric pads, non-square kernels,
 * dilation, batches below the thread count), against finite differences of the reference forward, each tap's weight
 * gradient fed by exactly its own input pixel, and the JNI entry rejecting inconsistent geometry.
 */
class NativeConvGradTest {
    private final CpuBackend cpu = new CpuBackend();
    private final ReferenceBackend ref = new ReferenceBackend();

    @BeforeAll
    static void kernel() { assumeTrue(NativeConvGrad.available(), "no AVX-512F or native library"); }

    /** Forced where it applies: the automatic route takes it only on shapes where it measured faster. */
    @BeforeEach
    void force() { CpuConv.forced = CpuConv.Route.AVX512; }

    @AfterEach
    void autoRoute() { CpuConv.forced = null; }

    /** n, c, h, w, o, kh, kw, pad top, left, bottom, right, dilation h, w. */
    private static final int[][] SHAPES = {
        {1, 1, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1},      // one image (below the thread count), one channel
        {3, 3, 11, 10, 17, 3, 5, 2, 0, 1, 4, 1, 1},   // asymmetric pads, non-square kernel, o = 17
        {5, 20, 9, 8, 33, 5, 5, 2, 2, 2, 2, 1, 1},    // LeNet-style 5x5 pad 2, c and o past a multiple of 16
        {4, 6, 14, 14, 16, 5, 5, 0, 0, 0, 0, 1, 1},   // LeNet-5's conv2 (no padding)
        {3, 4, 12, 13, 7, 3, 3, 2, 1, 2, 3, 2, 2},    // dilation 2
        {2, 8, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1},   // the student's conv2
    };

    @Test
    void gradientsMatchTheReferenceOnOddGeometries() {
        for (int[] s : SHAPES) {
            Conv2dSpec spec = new Conv2dSpec(1, 1, s[7], s[8], s[9], s[10], s[11], s[12], 1);
            ConvGeometry g = ConvGeometry.of(s[0], s[1], s[2], s[3], s[4], s[5], s[6], spec);
            String what = java.util.Arrays.toString(s);
            assertEquals(CpuConv.Route.AVX512, CpuConv.route(g, true, false), what + ": dx-free route");
            assertEquals(CpuConv.Route.AVX512, CpuConv.route(g, true, true), what + ": route with dx");
            SplittableRandom r = new SplittableRandom(what.hashCode());
            Shape xs = Shape.of(g.n(), g.c(), g.h(), g.w()), ws = Shape.of(g.o(), g.c(), g.kh(), g.kw()), gs = Shape.of(g.n(), g.o(), g.oh(), g.ow());
            float[] x = gaussian(r, xs.numel()), w = gaussian(r, ws.numel()), gy = gaussian(r, gs.numel());
            try (Tensor cx = cpu.fromFloats(x, xs); Tensor cw = cpu.fromFloats(w, ws); Tensor cg = cpu.fromFloats(gy, gs);
                 Tensor rx = ref.fromFloats(x, xs); Tensor rw = ref.fromFloats(w, ws); Tensor rg = ref.fromFloats(gy, gs)) {
                Conv2dGrads expected = ref.conv2dBackward(rx, rw, rg, spec, true, true);
                Conv2dGrads got = cpu.conv2dBackward(cx, cw, cg, spec, true, true);
                near(what + " dx", expected.input().toFloatArray(), got.input().toFloatArray());
                near(what + " dw", expected.weight().toFloatArray(), got.weight().toFloatArray());
                near(what + " db", expected.bias().toFloatArray(), got.bias().toFloatArray());
                Conv2dGrads noDx = cpu.conv2dBackward(cx, cw, cg, spec, false, false);
                assertNull(noDx.input(), what);
                assertNull(noDx.bias(), what);
                near(what + " dw without dx", expected.weight().toFloatArray(), noDx.weight().toFloatArray());
                // with the input as a ReLU's output: dx zeroed where it is <= 0, exactly the unmasked dx elsewhere
                float[] dx = got.input().toFloatArray();
                float[] masked = NativeConvGrad.inputGrad(cpu, g, (CpuTensor) cw, (CpuTensor) cg, (CpuTensor) cx).toFloatArray();
                for (int i = 0; i < dx.length; i++) assertEquals(x[i] > 0 ? dx[i] : 0f, masked[i], what + " masked dx[" + i + "]");
            }
        }
    }

    /** The conv is linear in x and in w: central differences of sum(conv(x, w) * gy) with step 1 are exact up to float rounding. */
    @Test
    void gradientsMatchFiniteDifferencesOfTheReferenceForward() {
        Conv2dSpec spec = new Conv2dSpec(1, 1, 0, 1, 2, 1, 1, 1, 1);
        int n = 2, c = 3, h = 6, wd = 7, o = 5, kh = 3, kw = 2;
        ConvGeometry g = ConvGeometry.of(n, c, h, wd, o, kh, kw, spec);
        assertEquals(CpuConv.Route.AVX512, CpuConv.route(g, true, true));
        // a pad as wide as the kernel (dx's conv would need a negative one) stays on the other routes
        ConvGeometry wide = ConvGeometry.of(n, c, h, wd, o, kh, kw, new Conv2dSpec(1, 1, 0, 2, 2, 1, 1, 1, 1));
        assertTrue(CpuConv.route(wide, true, true) != CpuConv.Route.AVX512);
        SplittableRandom r = new SplittableRandom(3);
        Shape xs = Shape.of(n, c, h, wd), ws = Shape.of(o, c, kh, kw), gs = Shape.of(n, o, g.oh(), g.ow());
        float[] x = gaussian(r, xs.numel()), w = gaussian(r, ws.numel()), gy = gaussian(r, gs.numel()), b = gaussian(r, o);
        try (Tensor cx = cpu.fromFloats(x, xs); Tensor cw = cpu.fromFloats(w, ws); Tensor cg = cpu.fromFloats(gy, gs)) {
            Conv2dGrads got = cpu.conv2dBackward(cx, cw, cg, spec, true, true);
            float[] dx = got.input().toFloatArray(), dw = got.weight().toFloatArray(), db = got.bias().toFloatArray();
            for (int i = 0; i < x.length; i += 7) assertEquals(difference(x, i, x, w, b, gy, xs, ws, spec), dx[i], 1e-3, "dx[" + i + "]");
            for (int i = 0; i < w.length; i++) assertEquals(difference(w, i, x, w, b, gy, xs, ws, spec), dw[i], 1e-3, "dw[" + i + "]");
            for (int i = 0; i < o; i++) assertEquals(difference(b, i, x, w, b, gy, xs, ws, spec), db[i], 1e-3, "db[" + i + "]");
        }
    }

    /** One input pixel and one output pixel set: exactly the tap joining them gets dw = 1 (a broken tap offset moves or loses it). */
    @Test
    void eachTapsWeightGradientComesFromItsOwnInputPixel() {
        Conv2dSpec spec = new Conv2dSpec(1, 1, 1, 2, 2, 0, 2, 1, 1);
        int c = 2, h = 9, wd = 8, o = 3, kh = 3, kw = 4;
        ConvGeometry g = ConvGeometry.of(1, c, h, wd, o, kh, kw, spec);
        int y0 = g.oh() / 2, x0 = g.ow() / 2;
        for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
                int iy = y0 - spec.padH() + ky * spec.dilationH(), ix = x0 - spec.padW() + kx * spec.dilationW();
                float[] x = new float[c * h * wd], gy = new float[o * g.p()];
                x[(1 * h + iy) * wd + ix] = 1f;          // channel 1
                gy[(2 * g.oh() + y0) * g.ow() + x0] = 1f; // output channel 2
                try (Tensor cx = cpu.fromFloats(x, Shape.of(1, c, h, wd)); Tensor cw = cpu.zeros(Shape.of(o, c, kh, kw));
                     Tensor cg = cpu.fromFloats(gy, Shape.of(1, o, g.oh(), g.ow()))) {
                    float[] dw = cpu.conv2dBackward(cx, cw, cg, spec, false, false).weight().toFloatArray();
                    for (int i = 0; i < dw.length; i++) {
                        float want = i == ((2 * c + 1) * kh + ky) * kw + kx ? 1f : 0f;
                        assertEquals(want, dw[i], "tap " + ky + "," + kx + ": dw[" + i + "]");
                    }
                }
            }
        }
    }

    /** The automatic route: first layers (no dx) and convs up to C*kH*kW = 288 here; deeper ones stay on oneDNN, which wins there. */
    @Test
    void automaticRouteTakesFirstLayersAndSmallConvs() {
        CpuConv.forced = null;
        Conv2dSpec same = Conv2dSpec.of(1, 1);
        assertEquals(CpuConv.Route.AVX512, CpuConv.route(ConvGeometry.of(64, 1, 28, 28, 32, 3, 3, same), true, false), "teacher conv1");
        assertEquals(CpuConv.Route.AVX512, CpuConv.route(ConvGeometry.of(64, 8, 14, 14, 16, 3, 3, same), true, true), "student conv2");
        assertEquals(CpuConv.Route.AVX512, CpuConv.route(ConvGeometry.of(64, 32, 28, 28, 64, 3, 3, same), true, true), "teacher conv2");
        CpuConv.Route deep = CpuConv.route(ConvGeometry.of(64, 64, 14, 14, 128, 3, 3, same), true, true);
        assertEquals(CpuRuntime.oneDnn() ? CpuConv.Route.NATIVE : CpuConv.Route.AVX512, deep, "teacher conv3");
        assertTrue(CpuConv.route(ConvGeometry.of(64, 16, 28, 28, 16, 3, 3, Conv2dSpec.of(2, 1)), true, true) != CpuConv.Route.AVX512, "stride 2");
        assertTrue(CpuConv.route(ConvGeometry.of(64, 16, 28, 28, 16, 3, 3, same), false, false) != CpuConv.Route.AVX512, "forward");
    }

    @Test
    void jniRejectsInconsistentGeometryAndShortBlocks() {
        Conv2dSpec spec = Conv2dSpec.of(1, 1);
        ConvGeometry g = ConvGeometry.of(2, 3, 8, 8, 4, 3, 3, spec);
        int[] good = NativeConvGrad.geometry(g);
        long acc = 4L * 3 * 9 + 4;
        try (Tensor x = cpu.zeros(Shape.of(2, 3, 8, 8)); Tensor gy = cpu.zeros(Shape.of(2, 4, 8, 8)); Tensor a = cpu.zeros(Shape.of((int) acc))) {
            long xa = ((CpuTensor) x).address(), ga = ((CpuTensor) gy).address(), aa = ((CpuTensor) a).address();
            NativeConvGrad.weightGrad(xa, 384, ga, 512, good, aa, acc, 0, 2); // accepted
            int[] wrongOut = good.clone();
            wrongOut[15] = 9; // oh 9 where the axis gives 8
            rejects(() -> NativeConvGrad.weightGrad(xa, 384, ga, 512, wrongOut, aa, acc, 0, 2));
            int[] strided = good.clone();
            strided[7] = 2;
            rejects(() -> NativeConvGrad.weightGrad(xa, 384, ga, 512, strided, aa, acc, 0, 2));
            int[] padTooBig = good.clone();
            padTooBig[11] = 3; // a pad reaching the kernel's extent
            rejects(() -> NativeConvGrad.weightGrad(xa, 384, ga, 512, padTooBig, aa, acc, 0, 2));
            rejects(() -> NativeConvGrad.weightGrad(xa, 383, ga, 512, good, aa, acc, 0, 2));      // short input
            rejects(() -> NativeConvGrad.weightGrad(xa, 384, ga, 512, good, aa, acc - 1, 0, 2));  // short accumulator
            rejects(() -> NativeConvGrad.weightGrad(xa, 384, ga, 512, good, aa, acc, 1, 3));      // images past n
            rejects(() -> NativeConvGrad.weightGrad(xa, 384, ga, 512, new int[5], aa, acc, 0, 2)); // too few ints
            rejects(() -> NativeConvGrad.reduce(aa, acc, 2, good, aa, 108, 0L, 0L));            // two parts in one part's block
            try (Tensor w = cpu.zeros(Shape.of(4, 3, 3, 3))) {
                long wa = ((CpuTensor) w).address();
                NativeConvGrad.inputGrad(ga, 512, wa, 108, 0L, 0L, good, xa, 384, 0, 2); // accepted
                rejects(() -> NativeConvGrad.inputGrad(ga, 512, wa, 108, 0L, 0L, good, xa, 383, 0, 2));  // short dx
                rejects(() -> NativeConvGrad.inputGrad(ga, 512, wa, 107, 0L, 0L, good, xa, 384, 0, 2));  // short weights
                rejects(() -> NativeConvGrad.inputGrad(ga, 512, wa, 108, xa, 100, good, xa, 384, 0, 2)); // short mask
                rejects(() -> NativeConvGrad.inputGrad(ga, 512, wa, 108, 0L, 0L, strided, xa, 384, 0, 2));
            }
        }
    }

    private static void rejects(org.junit.jupiter.api.function.Executable call) {
        String msg = assertThrows(IllegalArgumentException.class, call).getMessage();
        assertNotNull(msg);
        assertTrue(msg.startsWith("native conv weight gradient") || msg.startsWith("native conv input gradient"), msg);
    }

    /** (L(v + 1) - L(v - 1)) / 2 with v = a[i], L = sum(conv2d(x, w, b) * gy) on the reference backend. */
    private float difference(float[] a, int i, float[] x, float[] w, float[] b, float[] gy, Shape xs, Shape ws, Conv2dSpec spec) {
        float keep = a[i];
        a[i] = keep + 1;
        double up = loss(x, w, b, gy, xs, ws, spec);
        a[i] = keep - 1;
        double down = loss(x, w, b, gy, xs, ws, spec);
        a[i] = keep;
        return (float) ((up - down) / 2);
    }

    private double loss(float[] x, float[] w, float[] b, float[] gy, Shape xs, Shape ws, Conv2dSpec spec) {
        try (Tensor rx = ref.fromFloats(x, xs); Tensor rw = ref.fromFloats(w, ws); Tensor rb = ref.fromFloats(b, Shape.of(b.length));
             Tensor y = ref.conv2d(rx, rw, rb, spec)) {
            float[] v = y.toFloatArray();
            double s = 0;
            for (int i = 0; i < v.length; i++) s += (double) v[i] * gy[i];
            return s;
        }
    }
}
