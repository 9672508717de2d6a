package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BackendContractTest;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backend contract for CpuBackend (ND4J), plus what only the CPU has: forced conv routes,
 * OpenBLAS threading, the 2x2 max-pool path, the memory pool's cleaner and the native variant choice.
 */
class CpuBackendTest extends BackendContractTest {
    static final CpuBackend CPU = new CpuBackend();

    @AfterEach void autoRoute() { CpuConv.forced = null; }

    @Override protected Backend backend() { return CPU; }

    @Override protected Tolerances tolerances() {
        return new Tolerances(
                1e-4,  // conv: float sums of hundreds of products (N*OH*OW for dw) meet double ones
                1e-5,  // conv db
                1e-6,  // addRowVector: one rounding
                1e-5); // batch norm: float inner arithmetic
    }

    @Override protected int[][] matmulShapes() { return new int[][] {{7, 13, 5}}; }

    @Override protected int[][] softmaxShapes() { return new int[][] {{7, 10}}; }

    @Override protected String convContext() { return " route " + CpuConv.forced; }

    @Test void matmulLinearLayerSizeOnOneAndAllThreads() {
        Random rnd = new Random(1);
        Pair a = random(rnd, Shape.of(64, 784));
        Pair b = random(rnd, Shape.of(64, 784));
        near("matmul linear-layer size", REF.matmul(a.ref(), false, b.ref(), true), CPU.matmul(a.own(), false, b.own(), true), 1e-4);
        // the same product on all OpenBLAS threads (Blas.small 0), then back on one thread
        long small = Blas.small;
        try {
            Blas.small = 0;
            near("matmul threaded", REF.matmul(a.ref(), false, b.ref(), true), CPU.matmul(a.own(), false, b.own(), true), 1e-4);
            near("matmul threaded ta", REF.matmul(a.ref(), true, b.ref(), false), CPU.matmul(a.own(), true, b.own(), false), 1e-4);
        } finally {
            Blas.small = small;
        }
        near("matmul one thread again", REF.matmul(a.ref(), true, b.ref(), false), CPU.matmul(a.own(), true, b.own(), false), 1e-4);
    }

    /**
     * A product's bits depend on its own size only, never on the products before it: OpenBLAS's thread count changes
     * the last bits, and a count left over from an earlier product once made a training step after an evaluation differ
     * from the same step in a fresh process (which broke bit-identical resume).
     */
    @Test void smallProductBitsDoNotDependOnThePreviousProduct() {
        Random rnd = new Random(2);
        Pair x = random(rnd, Shape.of(16, 784)); // the student's fc1 in training at batch 16: 0.8M multiply-adds
        Pair w = random(rnd, Shape.of(64, 784));
        Pair big = random(rnd, Shape.of(256, 784)); // 12.8M: all threads
        Pair mid = random(rnd, Shape.of(100, 784)); // 5M: one thread
        CPU.matmul(big.own(), false, w.own(), true).close();
        float[] afterBig = CPU.matmul(x.own(), false, w.own(), true).toFloatArray();
        CPU.matmul(mid.own(), false, w.own(), true).close();
        float[] afterMid = CPU.matmul(x.own(), false, w.own(), true).toFloatArray();
        assertArrayEquals(afterBig, afterMid, 0f);
    }

    @ParameterizedTest @EnumSource(CpuConv.Route.class)
    void convOddShapesBothRoutes(CpuConv.Route route) {
        CpuConv.forced = route;
        checkOddConvShapes();
        checkConv(12, 1, 1, 5, 5, 2, 1, 1, Conv2dSpec.of(1, 0));
        checkConv(16, 3, 3, 7, 9, 5, 3, 2, new Conv2dSpec(1, 1, 1, 0)); // stride 1, few channels: DIRECT applies
    }

    /** Issue 17's grouped/depthwise/dilated/asymmetric convs on every route that takes them (the others fall back to automatic). */
    @ParameterizedTest @EnumSource(CpuConv.Route.class)
    void convGeneralShapesEveryRoute(CpuConv.Route route) {
        CpuConv.forced = route;
        checkGeneralConvShapes();
    }

    /** CpuDepthwiseConv stacks the planes of a block of images: several blocks, a partial last one, in forward, dx and dw. */
    @Test void depthwiseImageBlocks() {
        checkConv(50, 151, 2, 14, 14, 4, 3, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 2)); // 9 x 16 + 7 images (forward, dx), 50 x 3 + 1 (dw)
        checkConv(51, 71, 3, 13, 11, 3, 3, 3, new Conv2dSpec(2, 2, 0, 1, 1, 0, 2, 1, 3)); // four phases: 2 x 24 + 23 images, 14 x 5 + 1
    }

    /**
     * PointwiseConv (1x1 forward, the automatic route): one sgemm per image (7x7 planes, split over the threads),
     * and blocks of gathered images for small planes (4x4: 40 * 24 * 16 multiply-adds an image, 17 images a
     * block, so 37 images are three blocks with a short last one; 2x2 with more channels: one image a block).
     */
    @Test void pointwiseConvPerImageAndGathered() {
        checkConv(23, 5, 24, 7, 7, 40, 1, 1, Conv2dSpec.of(1, 0));
        checkConv(24, 37, 24, 4, 4, 40, 1, 1, Conv2dSpec.of(1, 0));
        checkConv(25, 3, 256, 2, 2, 300, 1, 1, Conv2dSpec.of(1, 0));
        checkConv(26, 70, 16, 14, 14, 64, 1, 1, Conv2dSpec.of(1, 0)); // enough work per call to split over the threads
    }

    @Test void convTeacherShapesAutomaticRoute() {
        checkConv(20, 4, 32, 28, 28, 64, 3, 3, Conv2dSpec.of(1, 1));
        checkConv(21, 3, 64, 14, 14, 128, 3, 3, Conv2dSpec.of(1, 1));
        checkConv(22, 17, 8, 14, 14, 16, 3, 3, Conv2dSpec.of(1, 1)); // image blocks with a short last block
    }

    @Test void maxPoolSpecialValuesInTwoByTwoWindows() {
        checkPools(pair(new float[] {1, Float.NaN, 3, 2}, Shape.of(1, 1, 2, 2)), Pool2dSpec.square(2), 34);
        // -0 ties +0 (first wins), -inf windows, +inf, NaN after a larger value: every branch of the 2x2 path
        float[][] windows = {{-0f, 0f, -1f, -2f}, {0f, -0f, 0f, 0f}, {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, {1f, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, 2f},
            {5f, 3f, Float.NaN, Float.NaN}, {-3f, -1f, -1f, -2f}, {Float.MIN_VALUE, 0f, Float.MIN_VALUE, -Float.MIN_VALUE}};
        float[] x = new float[windows.length * 4];
        for (int wi = 0; wi < windows.length; wi++) {
            x[2 * wi] = windows[wi][0];
            x[2 * wi + 1] = windows[wi][1];
            x[2 * windows.length + 2 * wi] = windows[wi][2];
            x[2 * windows.length + 2 * wi + 1] = windows[wi][3];
        }
        checkPools(pair(x, Shape.of(1, 1, 2, 2 * windows.length)), Pool2dSpec.square(2), 35);
    }

    @Test void reluBackwardSpecialValues() {
        float[] g = new float[SPECIAL_VALUES.length];
        for (int i = 0; i < g.length; i++) g[i] = i + 1;
        Shape s = Shape.of(SPECIAL_VALUES.length);
        Pair y = pair(SPECIAL_VALUES, s);
        Pair gy = pair(g, s);
        exact("reluBackward special y", REF.reluBackward(y.ref(), gy.ref()), CPU.reluBackward(y.own(), gy.own()));
    }

    @Test void unclosedTensorsGoBackToThePool() throws InterruptedException {
        for (int i = 0; i < 2000; i++) CPU.relu(CPU.zeros(Shape.of(1024))); // neither input nor output closed
        for (int i = 0; i < 20 && CpuMemory.cachedBytes() == 0; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertTrue(CpuMemory.cachedBytes() > 0, "the cleaner returned blocks of unreachable tensors");
        Tensor t = CPU.fromFloats(new float[] {1, 2, 3}, Shape.of(3));
        assertEquals(2f, t.toFloatArray()[1]);
    }

    // ---- native variant choice ----

    @Test void variantDecision() {
        java.util.Set<String> avx512 = java.util.Set.of("avx2", "fma", "f16c", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");
        java.util.Set<String> avx2 = java.util.Set.of("avx2", "fma", "f16c", "sse4_2");
        assertEquals("-onednn-avx512", NativeVariant.decide(avx512, null, e -> true).extension());
        assertEquals("-onednn", NativeVariant.decide(avx512, "avx2", e -> true).extension());
        assertEquals("-onednn", NativeVariant.decide(avx512, null, e -> !e.contains("avx512")).extension());
        assertEquals("-onednn", NativeVariant.decide(avx2, null, e -> true).extension());
        assertEquals("", NativeVariant.decide(java.util.Set.of("sse4_2"), null, e -> true).extension());
        assertEquals("", NativeVariant.decide(avx2, "generic", e -> true).extension());
        assertEquals("", NativeVariant.decide(java.util.Set.of(), null, e -> true).extension());
        assertThrows(IllegalArgumentException.class, () -> NativeVariant.decide(avx2, "sse9", e -> true));
        assertTrue(CPU.describe().contains("ND4J"), CPU.describe());
    }
}
