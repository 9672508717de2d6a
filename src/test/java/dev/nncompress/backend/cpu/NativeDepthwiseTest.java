package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native depthwise forward ({@link NativeDepthwise}) in every variant this CPU runs: bit-identical to
 * the Java loops of {@link CpuDepthwiseConv} (same sums in the same order) and within 1e-5 of the reference
 * backend's double sums (relative to the largest output), on MobileNetV2's shapes and on the odd ones
 * (multiplier 2, dilation, asymmetric padding, 5x5, 1x1, a 1x1 plane); and its entry point's own checks.
 */
class NativeDepthwiseTest {
    private static final CpuBackend CPU = new CpuBackend();
    private static final ReferenceBackend REF = new ReferenceBackend();
    private static final int BEST = NativeDepthwise.variant;

    @BeforeAll
    static void library() { assumeTrue(NativeDepthwise.supported() != 0, "native library not built: " + NativeLibrary.load().reason()); }

    @AfterEach void bestVariant() { NativeDepthwise.variant = BEST; }

    /** n, c, h, w, multiplier, kh, kw and the spec (groups = c). */
    private static void check(long seed, int n, int c, int h, int w, int mult, int kh, int kw, Conv2dSpec spec) {
        Random rnd = new Random(seed);
        float[] xv = random(rnd, n * c * h * w), wv = random(rnd, c * mult * kh * kw), bv = random(rnd, c * mult);
        Shape xs = Shape.of(n, c, h, w), ws = Shape.of(c * mult, 1, kh, kw), bs = Shape.of(c * mult);
        Conv2dSpec s = spec.withGroups(c);
        NativeDepthwise.variant = -1;
        float[] java = CPU.conv2d(CPU.fromFloats(xv, xs), CPU.fromFloats(wv, ws), CPU.fromFloats(bv, bs), s).toFloatArray();
        float[] javaNoBias = CPU.conv2d(CPU.fromFloats(xv, xs), CPU.fromFloats(wv, ws), null, s).toFloatArray();
        float[] ref = REF.conv2d(REF.fromFloats(xv, xs), REF.fromFloats(wv, ws), REF.fromFloats(bv, bs), s).toFloatArray();
        double mag = 0;
        for (float v : ref) mag = Math.max(mag, Math.abs(v));
        for (int v = NativeDepthwise.SCALAR; v <= NativeDepthwise.AVX512; v++) {
            if ((NativeDepthwise.supported() & (1 << v)) == 0) continue;
            NativeDepthwise.variant = v;
            String what = "variant " + v + " " + xs + " mult " + mult + " " + kh + "x" + kw + " " + s;
            float[] got = CPU.conv2d(CPU.fromFloats(xv, xs), CPU.fromFloats(wv, ws), CPU.fromFloats(bv, bs), s).toFloatArray();
            assertArrayEquals(java, got, 0f, what + ": not bit-identical to the Java loops");
            assertArrayEquals(javaNoBias, CPU.conv2d(CPU.fromFloats(xv, xs), CPU.fromFloats(wv, ws), null, s).toFloatArray(), 0f, what + " no bias");
            for (int i = 0; i < ref.length; i++) assertTrue(Math.abs(got[i] - ref[i]) <= 1e-5 * mag, what + ": index " + i + " " + got[i] + " vs " + ref[i]);
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    @Test void mobileNetShapes() {
        check(1, 3, 16, 14, 14, 1, 3, 3, Conv2dSpec.of(1, 1));
        check(2, 3, 64, 14, 14, 1, 3, 3, Conv2dSpec.of(2, 1));
        check(3, 5, 96, 7, 7, 1, 3, 3, Conv2dSpec.of(2, 1)); // odd plane, stride 2: 4x4 out
        check(4, 4, 128, 4, 4, 1, 3, 3, Conv2dSpec.of(1, 1));
        check(5, 7, 256, 2, 2, 1, 3, 3, Conv2dSpec.of(1, 1));
    }

    /**
     * A channel's images go through the kernel in blocks (16 images of a padded 16x16 plane, 4 at stride 2): partial
     * last blocks, and (333 and 90 planes over two threads) a thread's part that starts inside a channel.
     */
    @Test void imageBlocksAndThreadParts() {
        check(6, 37, 9, 14, 14, 1, 3, 3, Conv2dSpec.of(1, 1)); // blocks 16 + 16 + 5
        check(7, 10, 9, 14, 14, 1, 3, 3, Conv2dSpec.of(2, 1)); // blocks 4 + 4 + 2
    }

    @Test void generalShapes() {
        check(10, 2, 5, 9, 8, 2, 3, 3, Conv2dSpec.of(1, 1)); // multiplier 2
        check(11, 3, 4, 9, 7, 2, 3, 2, new Conv2dSpec(2, 1, 1, 0, 2, 1, 2, 1, 1)); // strided, dilated, asymmetric
        check(12, 2, 8, 10, 10, 1, 3, 3, new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1, 1)); // pad bottom/right only
        check(13, 1, 3, 5, 5, 1, 3, 3, new Conv2dSpec(1, 1, 0, 1, 2, 0, 3, 1, 1)); // a window far into the padding
        check(14, 2, 6, 11, 13, 1, 5, 5, new Conv2dSpec(3, 2, 2, 2, 2, 2, 1, 1, 1)); // 5x5, stride 3x2
        check(15, 2, 6, 5, 5, 3, 1, 1, Conv2dSpec.of(1, 0)); // 1x1 with multiplier 3
        check(16, 3, 4, 1, 1, 1, 3, 3, Conv2dSpec.of(1, 1)); // one-pixel plane
    }

    private static void rejects(String phrase, Executable call) {
        String msg = assertThrows(IllegalArgumentException.class, call).getMessage();
        assertTrue(msg.startsWith("native depthwise conv: ") && msg.contains(phrase), msg);
    }

    /** What the Java side never passes: each is an IllegalArgumentException before any memory is touched. */
    @Test void entryPointRejectsInconsistentGeometryAndShortBlocks() {
        try (CpuTensor x = (CpuTensor) CPU.zeros(Shape.of(2, 4, 8, 8)); CpuTensor w = (CpuTensor) CPU.zeros(Shape.of(4, 1, 3, 3));
             CpuTensor y = (CpuTensor) CPU.zeros(Shape.of(2, 4, 8, 8))) {
            long xa = x.address(), wa = w.address(), ya = y.address();
            int[] ok = {2, 4, 8, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 8};
            int v = NativeDepthwise.SCALAR;
            NativeDepthwise.forward(v, xa, 512, wa, 36, 0, 0, ya, 512, ok, 0, 8); // the valid call runs
            int[] wide = ok.clone();
            wide[10] = Integer.MAX_VALUE; // issue 16's pad, with the output width its int arithmetic would wrap to
            wide[16] = 24;
            rejects("inconsistent geometry", () -> NativeDepthwise.forward(v, xa, 512, wa, 36, 0, 0, ya, 512, wide, 0, 8));
            int[] padAtKernel = ok.clone();
            padAtKernel[9] = 3;
            padAtKernel[15] = 10;
            rejects("inconsistent geometry", () -> NativeDepthwise.forward(v, xa, 512, wa, 36, 0, 0, ya, 512, padAtKernel, 0, 8));
            int[] oneTooMany = ok.clone();
            oneTooMany[16] = 9;
            rejects("inconsistent geometry", () -> NativeDepthwise.forward(v, xa, 512, wa, 36, 0, 0, ya, 512, oneTooMany, 0, 8));
            int[] huge = {2, 4, 31, 31, 1, 33, 33, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}; // a consistent 33x33 window: 1089 taps
            rejects("taps", () -> NativeDepthwise.forward(v, xa, 512, wa, 36, 0, 0, ya, 512, huge, 0, 8));
            rejects("shape needs 17", () -> NativeDepthwise.forward(v, xa, 512, wa, 36, 0, 0, ya, 512, new int[16], 0, 8));
            rejects("range [0, 9) is not inside [0, 8]", () -> NativeDepthwise.forward(v, xa, 512, wa, 36, 0, 0, ya, 512, ok, 0, 9)); // a ninth plane
            int[] threeImages = ok.clone();
            threeImages[0] = 3;
            rejects("needs 768 input", () -> NativeDepthwise.forward(v, xa, 512, wa, 36, 0, 0, ya, 512, threeImages, 0, 1)); // blocks of 2 images
            rejects("blocks hold 511", () -> NativeDepthwise.forward(v, xa, 511, wa, 36, 0, 0, ya, 512, ok, 0, 8));
            rejects("needs 512 input, 512 output", () -> NativeDepthwise.forward(v, xa, 512, wa, 36, 0, 0, ya, 511, ok, 0, 8));
            rejects("36 weight", () -> NativeDepthwise.forward(v, xa, 512, wa, 35, 0, 0, ya, 512, ok, 0, 8));
            rejects("4 bias", () -> NativeDepthwise.forward(v, xa, 512, wa, 36, wa, 3, ya, 512, ok, 0, 8)); // bias of 3 for 4 channels
            rejects("range [5, 4)", () -> NativeDepthwise.forward(v, xa, 512, wa, 36, 0, 0, ya, 512, ok, 5, 4));
            rejects("variant 7", () -> NativeDepthwise.forward(7, xa, 512, wa, 36, 0, 0, ya, 512, ok, 0, 8));
        }
    }
}
