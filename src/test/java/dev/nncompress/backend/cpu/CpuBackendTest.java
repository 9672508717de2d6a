package dev.nncompress.backend.cpu;

import dev.nncompress.backend.BatchNormGrads;
import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CpuBackend op against the ReferenceBackend oracle (double accumulation) on random inputs with
 * fixed seeds, odd sizes included. Tolerances are written at each comparison as a fraction of the
 * reference tensor's largest magnitude: 1e-4 where float sums of hundreds of products meet double
 * ones (conv, gemm), 1e-6 for element-wise float ops that round once or twice.
 */
class CpuBackendTest {
    static final CpuBackend CPU = new CpuBackend();
    static final ReferenceBackend REF = new ReferenceBackend();

    @AfterEach void autoRoute() { CpuConv.forced = null; }

    record Pair(Tensor ref, Tensor cpu) {}

    static Pair random(Random rnd, Shape s) {
        float[] d = new float[s.numel()];
        for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
        return new Pair(REF.fromFloats(d, s), CPU.fromFloats(d, s));
    }

    /** Small integers: pooling windows full of ties. */
    static Pair ties(Random rnd, Shape s) {
        float[] d = new float[s.numel()];
        for (int i = 0; i < d.length; i++) d[i] = rnd.nextInt(3);
        return new Pair(REF.fromFloats(d, s), CPU.fromFloats(d, s));
    }

    /**
     * max |cpu - ref| <= tol * max(|ref|) over finite values, i.e. an error relative to the tensor's
     * magnitude; NaN must meet NaN and an infinity the same infinity. -0 equals +0.
     */
    static void near(String what, Tensor ref, Tensor cpu, double tol) {
        assertEquals(ref.shape(), cpu.shape(), what + ": shape");
        float[] e = ref.toFloatArray();
        float[] a = cpu.toFloatArray();
        double mag = 0;
        for (float v : e) {
            if (Float.isFinite(v)) mag = Math.max(mag, Math.abs(v));
        }
        double bound = tol * Math.max(mag, 1e-30);
        for (int i = 0; i < e.length; i++) {
            boolean ok = Float.isNaN(e[i]) ? Float.isNaN(a[i])
                    : Float.isInfinite(e[i]) ? a[i] == e[i] : a[i] == e[i] || Math.abs(a[i] - e[i]) <= bound;
            if (!ok) throw new AssertionError(what + ": element " + i + " is " + a[i] + ", reference " + e[i] + " (bound " + bound + ")");
        }
    }

    static void exact(String what, Tensor ref, Tensor cpu) { near(what, ref, cpu, 0); }

    // ---- creation ----

    @Test void creationReshapeAndClose() {
        Tensor z = CPU.zeros(Shape.of(2, 3));
        assertEquals(6, z.toFloatArray().length);
        for (float v : z.toFloatArray()) assertEquals(0f, v);
        float[] d = {1, 2, 3, 4, 5, 6};
        Tensor t = CPU.fromFloats(d, Shape.of(2, 3));
        d[0] = 99; // fromFloats copies
        Tensor v = CPU.reshape(t, Shape.of(3, 2));
        assertEquals(Shape.of(3, 2), v.shape());
        assertEquals(1f, v.toFloatArray()[0]);
        CPU.copyInto(CPU.fromFloats(new float[] {7, 8, 9, 10, 11, 12}, Shape.of(2, 3)), t);
        assertEquals(7f, v.toFloatArray()[0], "the reshaped view shares memory");
        t.close();
        assertEquals(12f, v.toFloatArray()[5], "the view keeps the memory alive");
        v.close();
        v.close(); // idempotent
        assertThrows(IllegalStateException.class, v::toFloatArray);
        assertThrows(IllegalArgumentException.class, () -> CPU.relu(REF.zeros(Shape.of(2))));
        assertThrows(IllegalArgumentException.class, () -> CPU.fromFloats(new float[5], Shape.of(2, 3)));
        assertEquals(0, CPU.zeros(Shape.of(0, 4)).toFloatArray().length);
    }

    // ---- linear algebra ----

    @Test void matmulAllTransposes() {
        Random rnd = new Random(1);
        int m = 7, k = 13, n = 5;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Pair a = random(rnd, ta ? Shape.of(k, m) : Shape.of(m, k));
                Pair b = random(rnd, tb ? Shape.of(n, k) : Shape.of(k, n));
                near("matmul ta=" + ta + " tb=" + tb, REF.matmul(a.ref, ta, b.ref, tb), CPU.matmul(a.cpu, ta, b.cpu, tb), 1e-5);
            }
        }
        Pair a = random(rnd, Shape.of(64, 784));
        Pair b = random(rnd, Shape.of(64, 784));
        near("matmul linear-layer size", REF.matmul(a.ref, false, b.ref, true), CPU.matmul(a.cpu, false, b.cpu, true), 1e-4);
        // the same product on all OpenBLAS threads (Blas.small 0), then back on one thread
        long small = Blas.small;
        try {
            Blas.small = 0;
            near("matmul threaded", REF.matmul(a.ref, false, b.ref, true), CPU.matmul(a.cpu, false, b.cpu, true), 1e-4);
            near("matmul threaded ta", REF.matmul(a.ref, true, b.ref, false), CPU.matmul(a.cpu, true, b.cpu, false), 1e-4);
        } finally {
            Blas.small = small;
        }
        near("matmul one thread again", REF.matmul(a.ref, true, b.ref, false), CPU.matmul(a.cpu, true, b.cpu, false), 1e-4);
    }

    @Test void rowVectorOps() {
        Random rnd = new Random(2);
        Pair x = random(rnd, Shape.of(9, 11));
        Pair b = random(rnd, Shape.of(11));
        near("addRowVector", REF.addRowVector(x.ref, b.ref), CPU.addRowVector(x.cpu, b.cpu), 1e-6); // one rounding
        near("sumRows", REF.sumRows(x.ref), CPU.sumRows(x.cpu), 1e-6); // both sum in double
        Pair big = random(rnd, Shape.of(300, 1000)); // parallel split
        near("sumRows big", REF.sumRows(big.ref), CPU.sumRows(big.cpu), 1e-6);
    }

    // ---- convolution ----

    static void checkConv(long seed, int n, int c, int h, int w, int o, int kh, int kw, Conv2dSpec spec) {
        Random rnd = new Random(seed);
        Pair x = random(rnd, Shape.of(n, c, h, w));
        Pair wt = random(rnd, Shape.of(o, c, kh, kw));
        Pair bias = random(rnd, Shape.of(o));
        String what = "conv " + x.cpu.shape() + " w" + wt.cpu.shape() + " " + spec + " route " + CpuConv.forced;
        near(what + " fwd", REF.conv2d(x.ref, wt.ref, bias.ref, spec), CPU.conv2d(x.cpu, wt.cpu, bias.cpu, spec), 1e-4);
        near(what + " fwd no bias", REF.conv2d(x.ref, wt.ref, null, spec), CPU.conv2d(x.cpu, wt.cpu, null, spec), 1e-4);
        Shape outShape = REF.conv2d(x.ref, wt.ref, null, spec).shape();
        Pair gy = random(rnd, outShape);
        for (boolean withBias : new boolean[] {true, false}) {
            for (boolean needDx : new boolean[] {true, false}) {
                Conv2dGrads r = REF.conv2dBackward(x.ref, wt.ref, gy.ref, spec, withBias, needDx);
                Conv2dGrads g = CPU.conv2dBackward(x.cpu, wt.cpu, gy.cpu, spec, withBias, needDx);
                String tag = what + " bwd bias=" + withBias + " dx=" + needDx;
                near(tag + " dw", r.weight(), g.weight(), 1e-4); // sums over N*OH*OW products
                if (needDx) near(tag + " dx", r.input(), g.input(), 1e-4);
                else assertNull(g.input(), tag);
                if (withBias) near(tag + " db", r.bias(), g.bias(), 1e-5);
                else assertNull(g.bias(), tag);
            }
        }
    }

    @ParameterizedTest @EnumSource(CpuConv.Route.class)
    void convOddShapesBothRoutes(CpuConv.Route route) {
        CpuConv.forced = route;
        checkConv(10, 3, 5, 7, 7, 4, 3, 2, new Conv2dSpec(2, 2, 1, 1));
        checkConv(11, 2, 3, 9, 6, 5, 3, 3, new Conv2dSpec(2, 1, 1, 0));
        checkConv(12, 1, 1, 5, 5, 2, 1, 1, Conv2dSpec.of(1, 0));
        checkConv(13, 2, 4, 6, 6, 3, 5, 5, Conv2dSpec.of(1, 2)); // padding up to the kernel edge
        checkConv(14, 2, 2, 4, 5, 3, 2, 3, new Conv2dSpec(3, 2, 0, 1));
        checkConv(15, 1, 1, 28, 28, 8, 3, 3, Conv2dSpec.of(1, 1)); // student conv1
        checkConv(16, 3, 3, 7, 9, 5, 3, 2, new Conv2dSpec(1, 1, 1, 0)); // stride 1, few channels: DIRECT applies
        checkConv(17, 2, 2, 5, 4, 6, 2, 2, Conv2dSpec.of(1, 2)); // output larger than the input
    }

    @Test void convTeacherShapesAutomaticRoute() {
        checkConv(20, 4, 32, 28, 28, 64, 3, 3, Conv2dSpec.of(1, 1));
        checkConv(21, 3, 64, 14, 14, 128, 3, 3, Conv2dSpec.of(1, 1));
        checkConv(22, 17, 8, 14, 14, 16, 3, 3, Conv2dSpec.of(1, 1)); // image blocks with a short last block
    }

    // ---- pooling ----

    static void checkPools(Pair x, Pool2dSpec spec, long seed) {
        String what = "pool " + x.cpu.shape() + " " + spec;
        Tensor rMax = REF.maxPool2d(x.ref, spec);
        exact(what + " max fwd", rMax, CPU.maxPool2d(x.cpu, spec)); // picks one input exactly
        Pair gy = random(new Random(seed), rMax.shape());
        near(what + " max bwd", REF.maxPool2dBackward(x.ref, gy.ref, spec), CPU.maxPool2dBackward(x.cpu, gy.cpu, spec), 1e-6);
        near(what + " avg fwd", REF.avgPool2d(x.ref, spec), CPU.avgPool2d(x.cpu, spec), 1e-6); // float vs double sum of <= 9
        near(what + " avg bwd", REF.avgPool2dBackward(x.ref.shape(), gy.ref, spec), CPU.avgPool2dBackward(x.cpu.shape(), gy.cpu, spec), 1e-6);
    }

    @Test void poolingTiesPaddingOddSizes() {
        Random rnd = new Random(30);
        Pool2dSpec[] specs = {Pool2dSpec.square(2), new Pool2dSpec(3, 3, 2, 2, 1, 1), new Pool2dSpec(3, 2, 2, 1, 1, 1),
            new Pool2dSpec(2, 2, 1, 1, 0, 0), new Pool2dSpec(3, 3, 1, 1, 1, 1)};
        for (Pool2dSpec s : specs) {
            checkPools(random(rnd, Shape.of(3, 5, 7, 7)), s, 31);
            checkPools(ties(rnd, Shape.of(3, 5, 7, 6)), s, 32);
        }
        checkPools(ties(rnd, Shape.of(64, 32, 28, 28)), Pool2dSpec.square(2), 33); // parallel split
        float[] nan = {1, Float.NaN, 3, 2};
        Pool2dSpec s2 = Pool2dSpec.square(2);
        Pair p = new Pair(REF.fromFloats(nan, Shape.of(1, 1, 2, 2)), CPU.fromFloats(nan, Shape.of(1, 1, 2, 2)));
        checkPools(p, s2, 34);
    }

    @Test void maxPoolSpecialValuesInTwoByTwoWindows() {
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
        Shape s = Shape.of(1, 1, 2, 2 * windows.length);
        checkPools(new Pair(REF.fromFloats(x, s), CPU.fromFloats(x, s)), Pool2dSpec.square(2), 35);
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

    // ---- batch norm ----

    @Test void batchNormRank4And2() {
        Random rnd = new Random(40);
        for (Shape s : new Shape[] {Shape.of(3, 5, 7, 7), Shape.of(9, 6), Shape.of(16, 8, 14, 14)}) {
            int c = s.dim(1);
            Pair x = random(rnd, s);
            Pair gamma = random(rnd, Shape.of(c));
            Pair beta = random(rnd, Shape.of(c));
            BatchNormResult r = REF.batchNormTrain(x.ref, gamma.ref, beta.ref, 1e-5f);
            BatchNormResult g = CPU.batchNormTrain(x.cpu, gamma.cpu, beta.cpu, 1e-5f);
            near("bn out " + s, r.output(), g.output(), 1e-5);
            near("bn mean " + s, r.mean(), g.mean(), 1e-6);
            near("bn var " + s, r.variance(), g.variance(), 1e-6);
            near("bn invStd " + s, r.invStd(), g.invStd(), 1e-6);
            Pair gy = random(rnd, s);
            BatchNormGrads rg = REF.batchNormBackward(x.ref, gamma.ref, r.mean(), r.invStd(), gy.ref);
            BatchNormGrads gg = CPU.batchNormBackward(x.cpu, gamma.cpu, g.mean(), g.invStd(), gy.cpu);
            near("bn dx " + s, rg.input(), gg.input(), 1e-5); // float inner arithmetic
            near("bn dgamma " + s, rg.gamma(), gg.gamma(), 1e-5);
            near("bn dbeta " + s, rg.beta(), gg.beta(), 1e-6);
            Pair var = new Pair(r.variance(), g.variance());
            near("bn inference " + s, REF.batchNormInference(x.ref, gamma.ref, beta.ref, r.mean(), var.ref, 1e-3f),
                    CPU.batchNormInference(x.cpu, gamma.cpu, beta.cpu, g.mean(), var.cpu, 1e-3f), 1e-5);
        }
    }

    // ---- element-wise ----

    @Test void elementwiseSmallLargeAndSpecialValues() {
        Random rnd = new Random(50);
        for (int n : new int[] {1, 37, 300_001}) {
            Pair a = random(rnd, Shape.of(n));
            Pair b = random(rnd, Shape.of(n));
            exact("relu " + n, REF.relu(a.ref), CPU.relu(a.cpu));
            Tensor yr = REF.relu(a.ref);
            Tensor yc = CPU.relu(a.cpu);
            exact("reluBackward " + n, REF.reluBackward(yr, b.ref), CPU.reluBackward(yc, b.cpu));
            exact("add " + n, REF.add(a.ref, b.ref), CPU.add(a.cpu, b.cpu));
            exact("mul " + n, REF.mul(a.ref, b.ref), CPU.mul(a.cpu, b.cpu));
            exact("scale " + n, REF.scale(a.ref, -0.37f), CPU.scale(a.cpu, -0.37f));
            REF.addInPlace(a.ref, b.ref);
            CPU.addInPlace(a.cpu, b.cpu);
            exact("addInPlace " + n, a.ref, a.cpu);
        }
        float[] special = {-0f, 0f, Float.NaN, -Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, 1f, -1f};
        float[] g = new float[special.length];
        for (int i = 0; i < g.length; i++) g[i] = i + 1;
        Shape s = Shape.of(special.length);
        float[] relu = CPU.relu(CPU.fromFloats(special, s)).toFloatArray();
        float[] expRelu = REF.relu(REF.fromFloats(special, s)).toFloatArray();
        for (int i = 0; i < special.length; i++) assertEquals(Float.floatToIntBits(expRelu[i]), Float.floatToIntBits(relu[i]), "relu " + special[i]);
        exact("reluBackward special y", REF.reluBackward(REF.fromFloats(special, s), REF.fromFloats(g, s)),
                CPU.reluBackward(CPU.fromFloats(special, s), CPU.fromFloats(g, s)));
    }

    @Test void softmaxCrossEntropy() {
        Random rnd = new Random(60);
        Pair logits = random(rnd, Shape.of(7, 10));
        int[] labels = new int[7];
        for (int i = 0; i < labels.length; i++) labels[i] = rnd.nextInt(10);
        LossResult r = REF.softmaxCrossEntropy(logits.ref, labels);
        LossResult c = CPU.softmaxCrossEntropy(logits.cpu, labels);
        assertEquals(r.loss(), c.loss(), 1e-6 * Math.abs(r.loss()), "loss"); // same double arithmetic
        near("xent grad", r.gradLogits(), c.gradLogits(), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> CPU.softmaxCrossEntropy(logits.cpu, new int[] {0, 1, 2, 3, 4, 5, 10}));
    }

    // ---- optimisers ----

    @Test void sgdVariants() {
        for (int n : new int[] {13, 200_003}) {
            Random rnd = new Random(70);
            Pair p = random(rnd, Shape.of(n));
            Pair v = new Pair(REF.zeros(Shape.of(n)), CPU.zeros(Shape.of(n)));
            Pair v2 = new Pair(REF.zeros(Shape.of(n)), CPU.zeros(Shape.of(n)));
            for (int step = 0; step < 3; step++) {
                Pair g = random(rnd, Shape.of(n));
                REF.sgdUpdate(p.ref, g.ref, null, 0.1f, 0f, 0.01f, false);
                CPU.sgdUpdate(p.cpu, g.cpu, null, 0.1f, 0f, 0.01f, false);
                REF.sgdUpdate(p.ref, g.ref, v.ref, 0.05f, 0.9f, 5e-4f, false);
                CPU.sgdUpdate(p.cpu, g.cpu, v.cpu, 0.05f, 0.9f, 5e-4f, false);
                REF.sgdUpdate(p.ref, g.ref, v2.ref, 0.05f, 0.9f, 0f, true);
                CPU.sgdUpdate(p.cpu, g.cpu, v2.cpu, 0.05f, 0.9f, 0f, true);
            }
            near("sgd param " + n, p.ref, p.cpu, 1e-6); // float vs double per element, a few ulps
            near("sgd velocity " + n, v.ref, v.cpu, 1e-6);
            near("nesterov velocity " + n, v2.ref, v2.cpu, 1e-6);
        }
    }

    @Test void adamAndAdamW() {
        for (boolean decoupled : new boolean[] {false, true}) {
            for (int n : new int[] {11, 150_001}) {
                Random rnd = new Random(80);
                Pair p = random(rnd, Shape.of(n));
                Pair m = new Pair(REF.zeros(Shape.of(n)), CPU.zeros(Shape.of(n)));
                Pair v = new Pair(REF.zeros(Shape.of(n)), CPU.zeros(Shape.of(n)));
                for (int step = 1; step <= 4; step++) {
                    Pair g = random(rnd, Shape.of(n));
                    REF.adamUpdate(p.ref, g.ref, m.ref, v.ref, step, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled);
                    CPU.adamUpdate(p.cpu, g.cpu, m.cpu, v.cpu, step, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled);
                }
                String tag = (decoupled ? "adamw " : "adam ") + n;
                near(tag + " param", p.ref, p.cpu, 1e-6); // float vs double per element
                near(tag + " m", m.ref, m.cpu, 1e-6);
                near(tag + " v", v.ref, v.cpu, 1e-6);
            }
        }
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
