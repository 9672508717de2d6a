package dev.nncompress.backend.ref;

import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.sparse.CsrWeights;
import dev.nncompress.sparse.StructuredSparsity;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sparse conv twin against the plain definition: {@link ReferenceBackend#conv2d} and
 * {@code conv2dBackward} with the pruned weights zeroed (pruned filters' bias too), the kernel
 * dilated by inserting zeros, the output mask applied to the output and to the incoming gradient.
 */
class ReferenceSparseConvTest {
    // Forward: the twin is a float fma chain of at most C*kh*kw = 150 products of values in [-1, 1],
    // the definition sums in double; rounding stays far below 1e-4 while an indexing error is O(0.1).
    private static final float FWD_TOL = 1e-4f;
    // Backward: both sum in double and round once; only the order of the double sums differs.
    private static final float BWD_TOL = 1e-5f;
    private final ReferenceBackend ref = new ReferenceBackend();

    @ParameterizedTest(name = "n={0} c={1} {2}x{3} o={4} k={5}x{6} s={7}x{8} p={9}x{10} d={11}x{12} keep {13}/{14}")
    @CsvSource({
            // n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, keepOut, keepIn, mask, bias
            "2, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 0.6, 0.8, false, true",
            "3, 4, 13, 10, 6, 3, 3, 2, 2, 1, 1, 1, 1, 0.5, 1.0, true, true",
            "2, 6, 12, 9, 5, 3, 2, 1, 2, 2, 1, 2, 1, 1.0, 0.5, false, false",
            "1, 3, 7, 11, 8, 5, 5, 2, 1, 2, 0, 1, 2, 0.3, 0.67, true, true",
            "2, 5, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1.0, 1.0, true, true",   // 0% pruned
            "2, 5, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0.0, 1.0, false, true",  // every filter pruned
            "1, 5, 6, 7, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1.0, 0.0, true, true",   // every input channel pruned
    })
    void structuredMatchesDenseConvWithPrunedWeightsZeroed(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw,
                                                           int dh, int dw, double keepOut, double keepIn, boolean masked, boolean withBias) {
        SplittableRandom rnd = new SplittableRandom(n * 1000L + c * 100L + o);
        ConvGeometry g = ConvGeometry.of(n, c, h, w, o, kh, kw, new Conv2dSpec(sh, sw, ph, pw).withDilation(dh, dw));
        float[] x = random(rnd, (int) g.inputSize());
        float[] wt = random(rnd, (int) g.weightSize());
        float[] bias = withBias ? random(rnd, o) : null;
        byte[] mask = masked ? randomMask(rnd, (int) g.maskSize()) : null;
        float[] gy = random(rnd, (int) g.outputSize());
        StructuredSparsity s = new StructuredSparsity(o, c, pick(rnd, o, keepOut), pick(rnd, c, keepIn));

        float[] effective = new float[wt.length];
        float[] effectiveBias = bias == null ? null : new float[o];
        ConvGeometry cg = g;
        for (int oc : s.keptOut()) {
            if (bias != null) effectiveBias[oc] = bias[oc];
            for (int ch : s.keptIn()) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) effective[cg.weightIndex(oc, ch, ky, kx)] = wt[cg.weightIndex(oc, ch, ky, kx)];
                }
            }
        }
        assertClose(definitionForward(g, x, effective, effectiveBias, mask), ReferenceSparseConv.forwardStructured(g, x, wt, bias, s, mask),
                FWD_TOL, "forward");

        SparseConvGrads got = ReferenceSparseConv.backwardStructured(g, x, wt, gy, s, mask, withBias);
        float[][] want = definitionBackward(g, x, effective, gy, mask);
        assertClose(want[0], got.input(), BWD_TOL, "grad input");
        float[] wantDw = new float[wt.length];
        for (int oc : s.keptOut()) {
            for (int ch : s.keptIn()) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) wantDw[cg.weightIndex(oc, ch, ky, kx)] = want[1][dilatedIndex(g, oc, ch, ky, kx)];
                }
            }
        }
        assertClose(wantDw, got.weight(), BWD_TOL, "grad weight (zero outside the kept blocks)");
        if (withBias) {
            float[] wantDb = new float[o];
            for (int oc : s.keptOut()) wantDb[oc] = want[2][oc];
            assertClose(wantDb, got.bias(), BWD_TOL, "grad bias (zero for pruned filters)");
        }
    }

    @ParameterizedTest(name = "n={0} c={1} {2}x{3} o={4} k={5}x{6} s={7}x{8} p={9}x{10} d={11}x{12} density {13}")
    @CsvSource({
            "2, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 0.3, false, true",
            "3, 4, 13, 10, 6, 3, 3, 2, 2, 1, 1, 1, 1, 0.1, true, true",
            "2, 6, 12, 9, 5, 3, 2, 1, 2, 2, 1, 2, 1, 1.0, false, false",
            "1, 3, 7, 11, 8, 5, 5, 2, 1, 2, 0, 1, 2, 0.5, true, true",
            "2, 3, 7, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0.0, true, true",   // no entries: output = bias
    })
    void csrMatchesDenseConvWithMaskedWeights(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                                              double density, boolean masked, boolean withBias) {
        SplittableRandom rnd = new SplittableRandom(n * 1000L + c * 100L + o + 7);
        ConvGeometry g = ConvGeometry.of(n, c, h, w, o, kh, kw, new Conv2dSpec(sh, sw, ph, pw).withDilation(dh, dw));
        float[] x = random(rnd, (int) g.inputSize());
        float[] wt = random(rnd, (int) g.weightSize());
        float[] bias = withBias ? random(rnd, o) : null;
        byte[] mask = masked ? randomMask(rnd, (int) g.maskSize()) : null;
        float[] gy = random(rnd, (int) g.outputSize());
        byte[] keep = new byte[wt.length];
        for (int i = 0; i < keep.length; i++) keep[i] = (byte) (rnd.nextDouble() < density ? 1 : 0);
        CsrWeights csr = CsrWeights.fromDense(wt, keep, o, c, kh, kw);
        float[] effective = csr.toDense();
        for (int i = 0; i < wt.length; i++) assertEquals(keep[i] == 1 ? wt[i] : 0f, effective[i], "dense round trip at " + i);

        assertClose(definitionForward(g, x, effective, bias, mask), ReferenceSparseConv.forwardCsr(g, x, csr, bias, mask), FWD_TOL, "forward");
        SparseConvGrads got = ReferenceSparseConv.backwardCsr(g, x, csr, gy, mask, withBias);
        float[][] want = definitionBackward(g, x, effective, gy, mask);
        assertClose(want[0], got.input(), BWD_TOL, "grad input");
        int[] rowPtr = csr.rowPtr();
        int[] tap = csr.tap();
        float[] wantDv = new float[csr.nnz()];
        for (int oc = 0; oc < o; oc++) {
            for (int e = rowPtr[oc]; e < rowPtr[oc + 1]; e++) {
                int r = tap[e] % (kh * kw);
                wantDv[e] = want[1][dilatedIndex(g, oc, tap[e] / (kh * kw), r / kw, r % kw)];
            }
        }
        assertClose(wantDv, got.weight(), BWD_TOL, "grad value per entry");
        if (withBias) assertClose(want[2], got.bias(), BWD_TOL, "grad bias");
    }

    @Test
    void allKeptStructuredAndAllOnesCsrAccumulateInTheSameOrderBitForBit() {
        SplittableRandom rnd = new SplittableRandom(5);
        ConvGeometry g = ConvGeometry.of(2, 7, 9, 8, 5, 3, 3, new Conv2dSpec(2, 1, 1, 2).withDilation(2, 1));
        float[] x = random(rnd, (int) g.inputSize());
        float[] wt = random(rnd, (int) g.weightSize());
        float[] bias = random(rnd, 5);
        byte[] ones = new byte[wt.length];
        java.util.Arrays.fill(ones, (byte) 1);
        assertArrayEquals(ReferenceSparseConv.forwardStructured(g, x, wt, bias, StructuredSparsity.dense(5, 7), null),
                ReferenceSparseConv.forwardCsr(g, x, CsrWeights.fromDense(wt, ones, 5, 7, 3, 3), bias, null));
    }

    @Test
    void dilatedOutputSizeIsPytorchs() {
        // floor((H + 2p - d(k-1) - 1) / s) + 1
        ConvGeometry g = ConvGeometry.of(1, 1, 11, 10, 1, 3, 2, new Conv2dSpec(2, 3, 1, 0).withDilation(3, 4));
        assertEquals((11 + 2 - 3 * 2 - 1) / 2 + 1, g.oh());
        assertEquals((10 - 4 - 1) / 3 + 1, g.ow());
        assertThrows(IllegalArgumentException.class, () -> ConvGeometry.of(1, 1, 4, 4, 1, 3, 3, Conv2dSpec.of(1, 0).withDilation(2, 1)));
        assertThrows(IllegalArgumentException.class, () -> ConvGeometry.of(1, 1, 4, 4, 1, 3, 3, Conv2dSpec.of(1, 0).withDilation(0, 1)));
    }

    @Test
    void structuredSparsityRejectsBadLists() {
        assertMessage(() -> new StructuredSparsity(4, 3, new int[] {0, 2, 1}, new int[] {0}), "strictly ascending");
        assertMessage(() -> new StructuredSparsity(4, 3, new int[] {0, 0}, new int[] {0}), "strictly ascending");
        assertMessage(() -> new StructuredSparsity(4, 3, new int[] {4}, new int[] {0}), "outside [0, 4)");
        assertMessage(() -> new StructuredSparsity(4, 3, new int[] {0}, new int[] {-1}), "keptIn[0] = -1");
        assertMessage(() -> new StructuredSparsity(0, 3, new int[0], new int[0]), ">= 1");
        StructuredSparsity s = new StructuredSparsity(5, 3, new int[] {1, 3}, new int[] {0, 2});
        assertArrayEquals(new int[] {0, 2, 4}, s.prunedOut());
        assertArrayEquals(new int[] {1}, s.prunedIn());
        ConvGeometry g = ConvGeometry.of(1, 4, 5, 5, 5, 3, 3, Conv2dSpec.of(1, 1));
        assertMessage(() -> ReferenceSparseConv.forwardStructured(g, new float[100], new float[180], null, s, null), "does not match weight");
    }

    @Test
    void csrWeightsRejectMalformedInput() {
        float[] v2 = {1f, 2f};
        assertMessage(() -> new CsrWeights(2, 1, 1, 1, new int[] {0, 2}, new int[] {0, 0}, v2), "rowPtr has 2 entries");
        assertMessage(() -> new CsrWeights(1, 3, 1, 1, new int[] {0, 2}, new int[] {2, 1}, v2), "strictly ascending");
        assertMessage(() -> new CsrWeights(1, 3, 1, 1, new int[] {0, 2}, new int[] {0, 3}, v2), "outside [0, 3)");
        assertMessage(() -> new CsrWeights(1, 3, 1, 1, new int[] {0, 1}, new int[] {0, 1}, v2), "end at nnz");
        assertMessage(() -> new CsrWeights(1, 3, 1, 1, new int[] {0, 2}, new int[] {0, 1}, new float[1]), "2 taps but 1 values");
        assertMessage(() -> new CsrWeights(2, 3, 1, 1, new int[] {0, 2, 1}, new int[] {0}, new float[1]), "decreases at row 1");
        assertMessage(() -> CsrWeights.fromDense(new float[4], new byte[] {0, 1, 2, 0}, 1, 4, 1, 1), "mask[2] = 2");
        assertMessage(() -> CsrWeights.fromDense(new float[4], new byte[3], 1, 4, 1, 1), "must both have 4");
        ConvGeometry g = ConvGeometry.of(1, 3, 4, 4, 2, 1, 1, Conv2dSpec.of(1, 0));
        CsrWeights wrong = CsrWeights.fromDense(new float[6], new byte[6], 3, 2, 1, 1);
        assertMessage(() -> ReferenceSparseConv.forwardCsr(g, new float[48], wrong, null, null), "does not match weight");
        assertMessage(() -> ReferenceSparseConv.forwardCsr(g, new float[48], CsrWeights.fromDense(new float[6], new byte[6], 2, 3, 1, 1),
                null, new byte[5]), "output mask has 5");
    }

    @Test
    void transposeGroupsEntriesPerInputChannelAndRoundTrips() {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] wt = random(rnd, 4 * 3 * 2 * 2);
        byte[] keep = new byte[wt.length];
        for (int i = 0; i < keep.length; i++) keep[i] = (byte) (rnd.nextInt(3) == 0 ? 1 : 0);
        CsrWeights csr = CsrWeights.fromDense(wt, keep, 4, 3, 2, 2);
        CsrWeights t = csr.transpose();
        assertEquals(csr.nnz(), t.nnz());
        assertEquals(csr, t.transpose());
        float[] dense = csr.toDense();
        float[] denseT = t.toDense();  // [C, O, kh, kw]
        for (int o = 0; o < 4; o++) {
            for (int c = 0; c < 3; c++) {
                for (int r = 0; r < 4; r++) assertEquals(dense[(o * 3 + c) * 4 + r], denseT[(c * 4 + o) * 4 + r]);
            }
        }
    }

    // ---- the plain definition ----

    private float[] definitionForward(ConvGeometry g, float[] x, float[] w, float[] bias, byte[] mask) {
        try (Tensor xt = ref.fromFloats(x, Shape.of(g.n(), g.c(), g.h(), g.w()));
             Tensor wt = ref.fromFloats(dilate(g, w), dilatedShape(g));
             Tensor bt = bias == null ? null : ref.fromFloats(bias, Shape.of(g.o()));
             Tensor y = ref.conv2d(xt, wt, bt, g.spec().withDilation(1, 1))) { // the zero-stuffed kernel is the dilation
            assertEquals(Shape.of(g.n(), g.o(), g.oh(), g.ow()), y.shape(), "output shape");
            float[] out = y.toFloatArray();
            applyMask(g, out, mask);
            return out;
        }
    }

    /** {dx, dw of the dilated kernel, db}. */
    private float[][] definitionBackward(ConvGeometry g, float[] x, float[] w, float[] gy, byte[] mask) {
        float[] masked = gy.clone();
        applyMask(g, masked, mask);
        try (Tensor xt = ref.fromFloats(x, Shape.of(g.n(), g.c(), g.h(), g.w()));
             Tensor wt = ref.fromFloats(dilate(g, w), dilatedShape(g));
             Tensor gt = ref.fromFloats(masked, Shape.of(g.n(), g.o(), g.oh(), g.ow()))) {
            Conv2dGrads grads = ref.conv2dBackward(xt, wt, gt, g.spec().withDilation(1, 1), true, true);
            return new float[][] {grads.input().toFloatArray(), grads.weight().toFloatArray(), grads.bias().toFloatArray()};
        }
    }

    private static void applyMask(ConvGeometry g, float[] nchw, byte[] mask) {
        if (mask == null) return;
        for (int b = 0; b < g.n(); b++) {
            for (int oc = 0; oc < g.o(); oc++) {
                for (int p = 0; p < g.p(); p++) {
                    if (mask[b * g.p() + p] == 0) nchw[(b * g.o() + oc) * g.p() + p] = 0f;
                }
            }
        }
    }

    private static Shape dilatedShape(ConvGeometry g) {
        return Shape.of(g.o(), g.c(), (g.kh() - 1) * g.spec().dilationH() + 1, (g.kw() - 1) * g.spec().dilationW() + 1);
    }

    /** A dilated kernel is the plain kernel with dilation-1 zeros between taps. */
    private static float[] dilate(ConvGeometry g, float[] w) {
        float[] out = new float[dilatedShape(g).numel()];
        for (int oc = 0; oc < g.o(); oc++) {
            for (int ch = 0; ch < g.c(); ch++) {
                for (int ky = 0; ky < g.kh(); ky++) {
                    for (int kx = 0; kx < g.kw(); kx++) out[dilatedIndex(g, oc, ch, ky, kx)] = w[g.weightIndex(oc, ch, ky, kx)];
                }
            }
        }
        return out;
    }

    private static int dilatedIndex(ConvGeometry g, int oc, int ch, int ky, int kx) {
        int ekh = (g.kh() - 1) * g.spec().dilationH() + 1;
        int ekw = (g.kw() - 1) * g.spec().dilationW() + 1;
        return ((oc * g.c() + ch) * ekh + ky * g.spec().dilationH()) * ekw + kx * g.spec().dilationW();
    }

    // ---- helpers ----

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    static byte[] randomMask(SplittableRandom rnd, int n) {
        byte[] m = new byte[n];
        for (int i = 0; i < n; i++) m[i] = (byte) (rnd.nextInt(4) == 0 ? 0 : 1);
        return m;
    }

    /** round(size * fraction) distinct indices, ascending. */
    static int[] pick(SplittableRandom rnd, int size, double fraction) {
        int keep = (int) Math.round(size * fraction);
        int[] all = new int[size];
        for (int i = 0; i < size; i++) all[i] = i;
        for (int i = size - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] kept = java.util.Arrays.copyOf(all, keep);
        java.util.Arrays.sort(kept);
        return kept;
    }

    private static void assertClose(float[] want, float[] got, float tol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            float w = want[i];
            float g = got[i];
            assertTrue(Math.abs(w - g) <= tol * Math.max(1f, Math.abs(w)), () -> what + " differs at " + showIndex(want, got) + ": " + w + " vs " + g);
        }
    }

    private static String showIndex(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-6f * Math.max(1f, Math.abs(a[i]))) return "index " + i;
        return "?";
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), () -> "message '" + e.getMessage() + "' should contain '" + part + "'");
    }
}
