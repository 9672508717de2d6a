package dev.nncompress.backend.cuda;

import dev.nncompress.backend.BatchNormGrads;
import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CudaBackend op against the ReferenceBackend oracle (double accumulation) on random inputs with
 * fixed seeds, odd sizes included (the structure of CpuBackendTest). Tolerances are written at each
 * comparison as a fraction of the reference tensor's largest magnitude: 1e-5 where float sums of
 * hundreds of products meet double ones (SGEMM, conv), 1e-6 where the kernel sums in double or rounds
 * once (element-wise ops are bit-exact: tolerance 0). Depends only on main classes, ref and JUnit.
 */
@Tag("gpu")
class CudaBackendTest {
    static CudaBackend GPU;
    static final ReferenceBackend REF = new ReferenceBackend();

    @BeforeAll static void open() {
        Gpu.driverOrSkip();
        GPU = new CudaBackend();
    }

    @AfterAll static void close() {
        if (GPU != null) GPU.close();
    }

    record Pair(Tensor ref, Tensor gpu) {}

    static Pair random(Random rnd, Shape s) {
        float[] d = new float[s.numel()];
        for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
        return new Pair(REF.fromFloats(d, s), GPU.fromFloats(d, s));
    }

    static Pair ties(Random rnd, Shape s) {
        float[] d = new float[s.numel()];
        for (int i = 0; i < d.length; i++) d[i] = rnd.nextInt(3);
        return new Pair(REF.fromFloats(d, s), GPU.fromFloats(d, s));
    }

    /** max |gpu - ref| <= tol * max(|ref|) over finite values; NaN meets NaN, infinities the same infinity. */
    static void near(String what, Tensor ref, Tensor gpu, double tol) {
        assertEquals(ref.shape(), gpu.shape(), what + ": shape");
        float[] e = ref.toFloatArray();
        float[] a = gpu.toFloatArray();
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

    static void exact(String what, Tensor ref, Tensor gpu) { near(what, ref, gpu, 0); }

    // ---- creation ----

    @Test void creationReshapeDtypesAndForeignTensors() {
        Tensor z = GPU.zeros(Shape.of(2, 3));
        assertArrayEquals(new float[6], z.toFloatArray());
        float[] d = {1, 2, 3, 4, 5, 6};
        Tensor t = GPU.fromFloats(d, Shape.of(2, 3));
        d[0] = 99; // fromFloats copies
        Tensor v = GPU.reshape(t, Shape.of(3, 2));
        assertEquals(1f, v.toFloatArray()[0]);
        GPU.copyInto(GPU.fromFloats(new float[] {7, 8, 9, 10, 11, 12}, Shape.of(2, 3)), t);
        assertEquals(7f, v.toFloatArray()[0], "the reshaped view shares memory");
        t.close();
        assertEquals(12f, v.toFloatArray()[5], "the view keeps the memory alive");
        v.close();
        v.close();
        assertThrows(IllegalStateException.class, v::toFloatArray);
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> GPU.relu(REF.zeros(Shape.of(2))));
        assertTrue(foreign.getMessage().contains("not to the cuda backend"), foreign.getMessage());
        assertThrows(IllegalArgumentException.class, () -> REF.relu(GPU.zeros(Shape.of(2))));
        assertThrows(IllegalArgumentException.class, () -> GPU.fromFloats(new float[5], Shape.of(2, 3)));
        assertEquals(0, GPU.zeros(Shape.of(0, 4)).toFloatArray().length);
        Tensor ints = GPU.fromInts(new int[] {-3, 0, 70000}, Shape.of(3));
        assertEquals(DType.I32, ints.dtype());
        assertArrayEquals(new float[] {-3, 0, 70000}, ints.toFloatArray());
        Tensor bytes = GPU.fromBytes(new byte[] {-128, 5, 127}, Shape.of(3));
        assertArrayEquals(new float[] {-128, 5, 127}, bytes.toFloatArray());
        assertArrayEquals(new float[4], GPU.zeros(Shape.of(4), DType.I8).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> GPU.relu(ints), "float ops take F32 only");
        assertTrue(GPU.describe().contains("CC "), GPU.describe());
    }

    // ---- linear algebra ----

    @Test void matmulAllTransposesOddAndTileSizes() {
        Random rnd = new Random(1);
        int[][] mkn = {{7, 13, 5}, {1, 1, 1}, {129, 257, 131}, {128, 8, 128}, {64, 784, 64}, {3, 0, 4}};
        for (int[] s : mkn) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Pair a = random(rnd, ta ? Shape.of(s[1], s[0]) : Shape.of(s[0], s[1]));
                    Pair b = random(rnd, tb ? Shape.of(s[2], s[1]) : Shape.of(s[1], s[2]));
                    near("matmul " + java.util.Arrays.toString(s) + " ta=" + ta + " tb=" + tb, REF.matmul(a.ref, ta, b.ref, tb),
                            GPU.matmul(a.gpu, ta, b.gpu, tb), 1e-5); // float sums of up to 784 products
                }
            }
        }
    }

    @Test void rowVectorOps() {
        Random rnd = new Random(2);
        Pair x = random(rnd, Shape.of(9, 11));
        Pair b = random(rnd, Shape.of(11));
        exact("addRowVector", REF.addRowVector(x.ref, b.ref), GPU.addRowVector(x.gpu, b.gpu)); // one rounding
        near("sumRows", REF.sumRows(x.ref), GPU.sumRows(x.gpu), 1e-6); // both sum in double
        Pair big = random(rnd, Shape.of(300, 1000));
        near("sumRows big", REF.sumRows(big.ref), GPU.sumRows(big.gpu), 1e-6);
    }

    // ---- convolution ----

    static void checkConv(long seed, int n, int c, int h, int w, int o, int kh, int kw, Conv2dSpec spec) {
        Random rnd = new Random(seed);
        Pair x = random(rnd, Shape.of(n, c, h, w));
        Pair wt = random(rnd, Shape.of(o, c, kh, kw));
        Pair bias = random(rnd, Shape.of(o));
        String what = "conv " + x.gpu.shape() + " w" + wt.gpu.shape() + " " + spec;
        near(what + " fwd", REF.conv2d(x.ref, wt.ref, bias.ref, spec), GPU.conv2d(x.gpu, wt.gpu, bias.gpu, spec), 1e-5);
        near(what + " fwd no bias", REF.conv2d(x.ref, wt.ref, null, spec), GPU.conv2d(x.gpu, wt.gpu, null, spec), 1e-5);
        Shape outShape = REF.conv2d(x.ref, wt.ref, null, spec).shape();
        Pair gy = random(rnd, outShape);
        for (boolean withBias : new boolean[] {true, false}) {
            for (boolean needDx : new boolean[] {true, false}) {
                Conv2dGrads r = REF.conv2dBackward(x.ref, wt.ref, gy.ref, spec, withBias, needDx);
                Conv2dGrads g = GPU.conv2dBackward(x.gpu, wt.gpu, gy.gpu, spec, withBias, needDx);
                String tag = what + " bwd bias=" + withBias + " dx=" + needDx;
                near(tag + " dw", r.weight(), g.weight(), 1e-5); // float per image, double over images
                if (needDx) near(tag + " dx", r.input(), g.input(), 1e-5);
                else assertNull(g.input(), tag);
                if (withBias) near(tag + " db", r.bias(), g.bias(), 1e-6); // double sums
                else assertNull(g.bias(), tag);
            }
        }
    }

    @Test void convOddShapes() {
        checkConv(10, 3, 5, 7, 7, 4, 3, 2, new Conv2dSpec(2, 2, 1, 1));
        checkConv(11, 2, 3, 9, 6, 5, 3, 3, new Conv2dSpec(2, 1, 1, 0));
        checkConv(12, 3, 4, 5, 5, 2, 1, 1, Conv2dSpec.of(1, 0)); // 1x1: the direct (no im2col) path
        checkConv(13, 2, 4, 6, 6, 3, 5, 5, Conv2dSpec.of(1, 2));
        checkConv(14, 2, 2, 4, 5, 3, 2, 3, new Conv2dSpec(3, 2, 0, 1));
        checkConv(15, 1, 1, 28, 28, 8, 3, 3, Conv2dSpec.of(1, 1)); // student conv1
        checkConv(17, 2, 2, 5, 4, 6, 2, 2, Conv2dSpec.of(1, 2)); // output larger than the input
        checkConv(18, 2, 3, 5, 5, 4, 1, 1, Conv2dSpec.of(2, 0)); // 1x1 strided: im2col path
        checkConv(20, 4, 32, 28, 28, 64, 3, 3, Conv2dSpec.of(1, 1)); // teacher conv2
        checkConv(21, 3, 64, 14, 14, 129, 3, 3, Conv2dSpec.of(1, 1)); // O beyond one 128 tile
    }

    // ---- pooling ----

    static void checkPools(Pair x, Pool2dSpec spec, long seed) {
        String what = "pool " + x.gpu.shape() + " " + spec;
        Tensor rMax = REF.maxPool2d(x.ref, spec);
        exact(what + " max fwd", rMax, GPU.maxPool2d(x.gpu, spec)); // picks one input exactly
        Pair gy = random(new Random(seed), rMax.shape());
        near(what + " max bwd", REF.maxPool2dBackward(x.ref, gy.ref, spec), GPU.maxPool2dBackward(x.gpu, gy.gpu, spec), 1e-6);
        near(what + " avg fwd", REF.avgPool2d(x.ref, spec), GPU.avgPool2d(x.gpu, spec), 1e-6); // float vs double sum of <= 9
        near(what + " avg bwd", REF.avgPool2dBackward(x.ref.shape(), gy.ref, spec), GPU.avgPool2dBackward(x.gpu.shape(), gy.gpu, spec), 1e-6);
    }

    @Test void poolingTiesPaddingOddSizes() {
        Random rnd = new Random(30);
        Pool2dSpec[] specs = {Pool2dSpec.square(2), new Pool2dSpec(3, 3, 2, 2, 1, 1), new Pool2dSpec(3, 2, 2, 1, 1, 1),
            new Pool2dSpec(2, 2, 1, 1, 0, 0), new Pool2dSpec(3, 3, 1, 1, 1, 1)};
        for (Pool2dSpec s : specs) {
            checkPools(random(rnd, Shape.of(3, 5, 7, 7)), s, 31);
            checkPools(ties(rnd, Shape.of(3, 5, 7, 6)), s, 32);
        }
        checkPools(ties(rnd, Shape.of(64, 32, 28, 28)), Pool2dSpec.square(2), 33);
        float[] special = {1, Float.NaN, 3, 2, -0f, 0f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        Shape s = Shape.of(1, 1, 2, 4);
        checkPools(new Pair(REF.fromFloats(special, s), GPU.fromFloats(special, s)), Pool2dSpec.square(2), 34);
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
            BatchNormResult g = GPU.batchNormTrain(x.gpu, gamma.gpu, beta.gpu, 1e-5f);
            near("bn out " + s, r.output(), g.output(), 1e-6); // double arithmetic, other summation order
            near("bn mean " + s, r.mean(), g.mean(), 1e-6);
            near("bn var " + s, r.variance(), g.variance(), 1e-6);
            near("bn invStd " + s, r.invStd(), g.invStd(), 1e-6);
            Pair gy = random(rnd, s);
            BatchNormGrads rg = REF.batchNormBackward(x.ref, gamma.ref, r.mean(), r.invStd(), gy.ref);
            BatchNormGrads gg = GPU.batchNormBackward(x.gpu, gamma.gpu, g.mean(), g.invStd(), gy.gpu);
            near("bn dx " + s, rg.input(), gg.input(), 1e-5); // dx cancels: M*g - sum(g) - ...
            near("bn dgamma " + s, rg.gamma(), gg.gamma(), 1e-6);
            near("bn dbeta " + s, rg.beta(), gg.beta(), 1e-6);
            near("bn inference " + s, REF.batchNormInference(x.ref, gamma.ref, beta.ref, r.mean(), r.variance(), 1e-3f),
                    GPU.batchNormInference(x.gpu, gamma.gpu, beta.gpu, g.mean(), g.variance(), 1e-3f), 1e-6);
        }
    }

    // ---- element-wise ----

    @Test void elementwiseSmallLargeAndSpecialValues() {
        Random rnd = new Random(50);
        for (int n : new int[] {1, 37, 300_001}) {
            Pair a = random(rnd, Shape.of(n));
            Pair b = random(rnd, Shape.of(n));
            exact("relu " + n, REF.relu(a.ref), GPU.relu(a.gpu));
            exact("reluBackward " + n, REF.reluBackward(REF.relu(a.ref), b.ref), GPU.reluBackward(GPU.relu(a.gpu), b.gpu));
            exact("add " + n, REF.add(a.ref, b.ref), GPU.add(a.gpu, b.gpu));
            exact("mul " + n, REF.mul(a.ref, b.ref), GPU.mul(a.gpu, b.gpu));
            exact("scale " + n, REF.scale(a.ref, -0.37f), GPU.scale(a.gpu, -0.37f));
            REF.addInPlace(a.ref, b.ref);
            GPU.addInPlace(a.gpu, b.gpu);
            exact("addInPlace " + n, a.ref, a.gpu);
            GPU.addInPlace(a.gpu, a.gpu); // aliasing: a += a
            REF.addInPlace(a.ref, a.ref);
            exact("addInPlace aliased " + n, a.ref, a.gpu);
        }
        float[] special = {-0f, 0f, Float.NaN, -Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, 1f, -1f};
        Shape s = Shape.of(special.length);
        float[] relu = GPU.relu(GPU.fromFloats(special, s)).toFloatArray();
        float[] expRelu = REF.relu(REF.fromFloats(special, s)).toFloatArray();
        for (int i = 0; i < special.length; i++) {
            assertEquals(Float.floatToIntBits(expRelu[i]), Float.floatToIntBits(relu[i]), "relu " + special[i]);
        }
    }

    @Test void softmaxCrossEntropy() {
        Random rnd = new Random(60);
        for (int[] nk : new int[][] {{7, 10}, {1, 1}, {300, 37}}) {
            Pair logits = random(rnd, Shape.of(nk[0], nk[1]));
            int[] labels = new int[nk[0]];
            for (int i = 0; i < labels.length; i++) labels[i] = rnd.nextInt(nk[1]);
            LossResult r = REF.softmaxCrossEntropy(logits.ref, labels);
            LossResult g = GPU.softmaxCrossEntropy(logits.gpu, labels);
            assertEquals(r.loss(), g.loss(), 1e-6 * Math.max(Math.abs(r.loss()), 1e-6), "loss"); // same double arithmetic
            near("xent grad", r.gradLogits(), g.gradLogits(), 1e-6);
        }
        Pair logits = random(rnd, Shape.of(2, 3));
        assertThrows(IllegalArgumentException.class, () -> GPU.softmaxCrossEntropy(logits.gpu, new int[] {0, 3}));
    }

    // ---- optimisers ----

    @Test void sgdVariants() {
        for (int n : new int[] {13, 200_003}) {
            Random rnd = new Random(70);
            Pair p = random(rnd, Shape.of(n));
            Pair v = new Pair(REF.zeros(Shape.of(n)), GPU.zeros(Shape.of(n)));
            Pair v2 = new Pair(REF.zeros(Shape.of(n)), GPU.zeros(Shape.of(n)));
            for (int step = 0; step < 3; step++) {
                Pair g = random(rnd, Shape.of(n));
                REF.sgdUpdate(p.ref, g.ref, null, 0.1f, 0f, 0.01f, false);
                GPU.sgdUpdate(p.gpu, g.gpu, null, 0.1f, 0f, 0.01f, false);
                REF.sgdUpdate(p.ref, g.ref, v.ref, 0.05f, 0.9f, 5e-4f, false);
                GPU.sgdUpdate(p.gpu, g.gpu, v.gpu, 0.05f, 0.9f, 5e-4f, false);
                REF.sgdUpdate(p.ref, g.ref, v2.ref, 0.05f, 0.9f, 0f, true);
                GPU.sgdUpdate(p.gpu, g.gpu, v2.gpu, 0.05f, 0.9f, 0f, true);
            }
            near("sgd param " + n, p.ref, p.gpu, 1e-6); // double per element on both sides; fma contraction differs
            near("sgd velocity " + n, v.ref, v.gpu, 1e-6);
            near("nesterov velocity " + n, v2.ref, v2.gpu, 1e-6);
        }
    }

    @Test void adamAndAdamW() {
        for (boolean decoupled : new boolean[] {false, true}) {
            for (int n : new int[] {11, 150_001}) {
                Random rnd = new Random(80);
                Pair p = random(rnd, Shape.of(n));
                Pair m = new Pair(REF.zeros(Shape.of(n)), GPU.zeros(Shape.of(n)));
                Pair v = new Pair(REF.zeros(Shape.of(n)), GPU.zeros(Shape.of(n)));
                for (int step = 1; step <= 4; step++) {
                    Pair g = random(rnd, Shape.of(n));
                    REF.adamUpdate(p.ref, g.ref, m.ref, v.ref, step, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled);
                    GPU.adamUpdate(p.gpu, g.gpu, m.gpu, v.gpu, step, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled);
                }
                String tag = (decoupled ? "adamw " : "adam ") + n;
                near(tag + " param", p.ref, p.gpu, 1e-6);
                near(tag + " m", m.ref, m.gpu, 1e-6);
                near(tag + " v", v.ref, v.gpu, 1e-6);
            }
        }
    }
}
