package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.SparseWeight;
import dev.nncompress.sparse.CsrWeights;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;

import static dev.nncompress.backend.ref.SparseFixtures.assertBits;
import static dev.nncompress.backend.ref.SparseFixtures.sparse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native sparse conv and linear kernels of every variant this CPU runs against the Java twin
 * ({@code ReferenceBackend.conv2dSparse/linearSparse} = {@code ReferenceSparseConv.forwardCsr}) bit for
 * bit, on random weights with odd sizes around the vector widths (16/64 AVX-512, 8/32 AVX2), empty and
 * full rows, strides, padding, 1x1 convs that skip im2col, and batch sizes around the linear kernel's
 * 64-row block; and against the dense op within float re-association. Skipped only without g++.
 */
class CpuSparseKernelsTest {
    static final ReferenceBackend REF = new ReferenceBackend();

    @BeforeAll
    static void libraryBuilt() {
        assumeTrue(CpuSparseKernelsTest.class.getResource(NativeLibrary.RESOURCE) != null, "native kernels not built (no g++)");
        assertTrue(NativeLibrary.load().loaded(), "the built library must load: " + NativeLibrary.load().reason());
    }

    static List<CpuSparse.Variant> variants() { return CpuSparse.cpuVariants(); }

    @Test
    void thisMachineRunsEveryVariant() {
        assertTrue(variants().contains(CpuSparse.Variant.SCALAR));
        if (NativeVariant.cpuFlags().contains("avx512f")) assertEquals(List.of(CpuSparse.Variant.values()), variants());
    }

    /** {n, c, h, w, o, kh, kw, strideH, strideW, padH, padW}. */
    static final int[][] CONVS = {
            {3, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1},     // 99 pixels: 64 + 16 + 16 + 3 masked (AVX-512), 3x32 + 3 (AVX2)
            {2, 3, 13, 7, 9, 5, 3, 2, 1, 2, 1},     // strided, uneven kernel and padding
            {1, 17, 8, 8, 5, 1, 1, 1, 1, 0, 0},     // 1x1: reads x directly
            {2, 6, 7, 9, 4, 1, 1, 2, 2, 0, 0},      // 1x1 strided: im2col
            {1, 2, 4, 4, 3, 3, 3, 1, 1, 2, 2},      // padding wider than the input edge
            {5, 1, 28, 28, 8, 3, 3, 1, 1, 1, 1},    // student conv1, 784 pixels
    };

    @ParameterizedTest
    @MethodSource("variants")
    void convMatchesTwinBitForBit(CpuSparse.Variant v) {
        CpuBackend cpu = new CpuBackend(CpuSparse.of(v));
        SplittableRandom rnd = new SplittableRandom(7 + v.ordinal());
        for (int[] s : CONVS) {
            for (double density : new double[] {0.0, 0.1, 0.5, 1.0}) {
                Shape ws = Shape.of(s[4], s[1], s[5], s[6]);
                float[] w = sparse(rnd, ws.numel(), density);
                float[] x = random(rnd, s[0] * s[1] * s[2] * s[3]);
                float[] b = random(rnd, s[4]);
                Conv2dSpec spec = new Conv2dSpec(s[7], s[8], s[9], s[10]);
                Shape xs = Shape.of(s[0], s[1], s[2], s[3]);
                for (boolean withBias : new boolean[] {true, false}) {
                    String what = v + " conv " + java.util.Arrays.toString(s) + " density " + density + " bias " + withBias;
                    float[] want = convSparse(REF, x, xs, w, ws, withBias ? b : null, spec);
                    float[] got = convSparse(cpu, x, xs, w, ws, withBias ? b : null, spec);
                    assertBits(want, got, what, "native");
                    try (Tensor tx = REF.fromFloats(x, xs); Tensor tw = REF.fromFloats(w, ws); Tensor tb = REF.fromFloats(b, Shape.of(s[4]))) {
                        assertClose(REF.conv2d(tx, tw, withBias ? tb : null, spec).toFloatArray(), got, what + " vs dense");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("variants")
    void linearMatchesTwinBitForBit(CpuSparse.Variant v) {
        CpuBackend cpu = new CpuBackend(CpuSparse.of(v));
        SplittableRandom rnd = new SplittableRandom(11 + v.ordinal());
        int[][] sizes = {{1, 7, 5}, {63, 33, 17}, {64, 50, 3}, {65, 129, 31}, {130, 300, 10}, {200, 17, 65}};
        for (int[] s : sizes) {
            for (double density : new double[] {0.0, 0.07, 0.5, 1.0}) {
                Shape ws = Shape.of(s[2], s[1]);
                float[] w = sparse(rnd, ws.numel(), density);
                float[] x = random(rnd, s[0] * s[1]);
                float[] b = random(rnd, s[2]);
                for (boolean withBias : new boolean[] {true, false}) {
                    String what = v + " linear n,F,O " + java.util.Arrays.toString(s) + " density " + density + " bias " + withBias;
                    float[] got = linearSparse(cpu, x, s[0], w, ws, withBias ? b : null);
                    assertBits(linearSparse(REF, x, s[0], w, ws, withBias ? b : null), got, what, "native");
                    float[] dense = new float[s[0] * s[2]];
                    for (int i = 0; i < s[0]; i++) {
                        for (int o = 0; o < s[2]; o++) {
                            double acc = withBias ? b[o] : 0;
                            for (int f = 0; f < s[1]; f++) acc += (double) x[i * s[1] + f] * w[o * s[1] + f];
                            dense[i * s[2] + o] = (float) acc;
                        }
                    }
                    assertClose(dense, got, what + " vs dense");
                }
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        CpuBackend cpu = new CpuBackend(CpuSparse.best());
        float[] w = {1, 0, 0, 2, 0, 3};
        Shape ws = Shape.of(2, 3);
        try (SparseWeight lin = cpu.prepareSparse(SparseWeight.csrOf(w, ws), ws);
             SparseWeight foreign = REF.prepareSparse(SparseWeight.csrOf(w, ws), ws);
             Tensor x = cpu.fromFloats(new float[8], Shape.of(2, 4));
             Tensor x3 = cpu.fromFloats(new float[6], Shape.of(2, 3));
             Tensor bias = cpu.fromFloats(new float[3], Shape.of(3));
             Tensor img = cpu.fromFloats(new float[12], Shape.of(1, 3, 2, 2))) {
            assertMessage(() -> cpu.linearSparse(x, lin, null), "expects 3 input features");
            assertMessage(() -> cpu.linearSparse(x3, foreign, null), "prepared by backend 'reference'");
            assertMessage(() -> cpu.linearSparse(x3, lin, bias), "does not match weight");
            assertMessage(() -> cpu.conv2dSparse(img, lin, null, new Conv2dSpec(1, 1, 0, 0)), "needs a CONV weight");
        }
        assertMessage(() -> new SparseWeight(CsrWeights.fromDense(w, new byte[] {1, 0, 0, 1, 0, 1}, 2, 3, 1, 1), Shape.of(3, 2), REF, null, null),
                "does not describe a weight of shape");
    }

    /**
     * With every conv and linear sparse, the student's remaining ops (ReLU, max-pool, flatten) are exact,
     * so the CPU backend's logits equal the reference backend's bit for bit; without kernels it says so and stays dense.
     */
    @Test
    void wholeStudentMatchesReferenceBitForBit() {
        CpuBackend cpu = new CpuBackend(CpuSparse.best());
        dev.nncompress.graph.Graph gRef = dev.nncompress.graph.SparseInferenceTest.prunedStudent(REF);
        dev.nncompress.graph.Graph gCpu = dev.nncompress.models.Models.student(cpu, 0);
        for (var e : gRef.params().entrySet()) {
            gCpu.param(e.getKey()).setValue(cpu.fromFloats(e.getValue().value().toFloatArray(), e.getValue().value().shape()));
        }
        float[] images = random(new SplittableRandom(5), 67 * 28 * 28);
        var on = dev.nncompress.graph.SparseInference.Mode.ON;
        try (var pr = new dev.nncompress.graph.GraphPredictor(gRef, REF, on); var pc = new dev.nncompress.graph.GraphPredictor(gCpu, cpu, on)) {
            assertBits(pr.logits(images, 67), pc.logits(images, 67), "student, all layers sparse", "native");
        }
        try (var none = dev.nncompress.graph.SparseInference.plan(gCpu, new CpuBackend(null), dev.nncompress.graph.SparseInference.Mode.AUTO)) {
            assertTrue(!none.any() && none.summary().contains("no sparse kernels"), none.summary());
        }
    }

    static float[] convSparse(Backend b, float[] x, Shape xs, float[] w, Shape ws, float[] bias, Conv2dSpec spec) {
        try (SparseWeight sw = b.prepareSparse(SparseWeight.csrOf(w, ws), ws);
             Tensor tx = b.fromFloats(x, xs);
             Tensor tb = bias == null ? null : b.fromFloats(bias, Shape.of(bias.length));
             Tensor y = b.conv2dSparse(tx, sw, tb, spec)) {
            return y.toFloatArray();
        }
    }

    static float[] linearSparse(Backend b, float[] x, int n, float[] w, Shape ws, float[] bias) {
        try (SparseWeight sw = b.prepareSparse(SparseWeight.csrOf(w, ws), ws);
             Tensor tx = b.fromFloats(x, Shape.of(n, ws.dim(1)));
             Tensor tb = bias == null ? null : b.fromFloats(bias, Shape.of(bias.length));
             Tensor y = b.linearSparse(tx, sw, tb)) {
            assertEquals(Shape.of(n, ws.dim(0)), y.shape());
            return y.toFloatArray();
        }
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }



    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Math.abs(want[i] - got[i]) > 1e-5 * (1 + Math.abs(want[i]))) fail(what + ": element " + i + " dense " + want[i] + " sparse " + got[i]);
        }
    }

    static void assertMessage(Runnable r, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
