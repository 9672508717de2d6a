package dev.nncompress.backend;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What every {@link Backend} owes the ReferenceBackend oracle (double accumulation): each op on random
 * inputs with fixed seeds, odd sizes included, compared with a tolerance written as a fraction of the
 * reference tensor's largest magnitude. Where backends' float arithmetic differs (summation order, float
 * vs double partial sums) the subclass states its {@link Tolerances}; where they run different shapes
 * (a GPU's tile edges) it lists them. Checks that only one backend has stay in its subclass.
 * <p>Only the Backend interface and the ref package may be reached from here: the CUDA subclass goes into
 * the GPU bundle's test jar, which scripts/gpu-bundle.sh refuses when it reaches ND4J.
 */
public abstract class BackendContractTest {
    protected static final ReferenceBackend REF = new ReferenceBackend();

    /** -0, NaN of both signs, subnormals, infinities: what relu must pass bit for bit. */
    protected static final float[] SPECIAL_VALUES = {-0f, 0f, Float.NaN, -Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f};

    /**
     * The tolerances that differ between backends; the others are written at the comparison.
     * conv: forward, dw and dx; convBias: db; batchNorm: the output, dgamma and the inference output.
     */
    public record Tolerances(double conv, double convBias, double addRowVector, double batchNorm) {}

    /** The backend under test; called from the tests only, after the subclass's set-up. */
    protected abstract Backend backend();

    protected abstract Tolerances tolerances();

    /** {m, k, n} for {@link #matmulAllTransposes}. */
    protected abstract int[][] matmulShapes();

    /** {rows, classes} for {@link #softmaxCrossEntropy}. */
    protected abstract int[][] softmaxShapes();

    /** Added to conv failure messages: what else decided the path, e.g. a forced CPU route. */
    protected String convContext() { return ""; }

    /** One input as both backends hold it. */
    protected record Pair(Tensor ref, Tensor own) {}

    protected Pair pair(float[] d, Shape s) { return new Pair(REF.fromFloats(d, s), backend().fromFloats(d, s)); }

    protected Pair random(Random rnd, Shape s) {
        float[] d = new float[s.numel()];
        for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
        return pair(d, s);
    }

    /** Small integers: pooling windows full of ties. */
    protected Pair ties(Random rnd, Shape s) {
        float[] d = new float[s.numel()];
        for (int i = 0; i < d.length; i++) d[i] = rnd.nextInt(3);
        return pair(d, s);
    }

    /**
     * max |own - ref| <= tol * max(|ref|) over finite values, i.e. an error relative to the tensor's
     * magnitude; NaN must meet NaN and an infinity the same infinity. -0 equals +0.
     */
    public static void near(String what, Tensor ref, Tensor own, double tol) {
        assertEquals(ref.shape(), own.shape(), what + ": shape");
        float[] e = ref.toFloatArray();
        float[] a = own.toFloatArray();
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

    public static void exact(String what, Tensor ref, Tensor own) { near(what, ref, own, 0); }

    // ---- creation ----

    @Test void creationReshapeAndClose() {
        Backend b = backend();
        assertArrayEquals(new float[6], b.zeros(Shape.of(2, 3)).toFloatArray());
        float[] d = {1, 2, 3, 4, 5, 6};
        Tensor t = b.fromFloats(d, Shape.of(2, 3));
        d[0] = 99; // fromFloats copies
        Tensor v = b.reshape(t, Shape.of(3, 2));
        assertEquals(Shape.of(3, 2), v.shape());
        assertEquals(1f, v.toFloatArray()[0]);
        b.copyInto(b.fromFloats(new float[] {7, 8, 9, 10, 11, 12}, Shape.of(2, 3)), t);
        assertEquals(7f, v.toFloatArray()[0], "the reshaped view shares memory");
        t.close();
        assertEquals(12f, v.toFloatArray()[5], "the view keeps the memory alive");
        v.close();
        v.close(); // idempotent
        assertThrows(IllegalStateException.class, v::toFloatArray);
        assertThrows(IllegalArgumentException.class, () -> b.relu(REF.zeros(Shape.of(2))), "another backend's tensor");
        assertThrows(IllegalArgumentException.class, () -> b.fromFloats(new float[5], Shape.of(2, 3)));
        assertEquals(0, b.zeros(Shape.of(0, 4)).toFloatArray().length);
    }

    // ---- linear algebra ----

    @Test void matmulAllTransposes() {
        Random rnd = new Random(1);
        for (int[] s : matmulShapes()) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Pair a = random(rnd, ta ? Shape.of(s[1], s[0]) : Shape.of(s[0], s[1]));
                    Pair b = random(rnd, tb ? Shape.of(s[2], s[1]) : Shape.of(s[1], s[2]));
                    near("matmul " + Arrays.toString(s) + " ta=" + ta + " tb=" + tb, REF.matmul(a.ref, ta, b.ref, tb),
                            backend().matmul(a.own, ta, b.own, tb), 1e-5); // float sums of up to 784 products
                }
            }
        }
    }

    @Test void rowVectorOps() {
        Random rnd = new Random(2);
        Pair x = random(rnd, Shape.of(9, 11));
        Pair b = random(rnd, Shape.of(11));
        near("addRowVector", REF.addRowVector(x.ref, b.ref), backend().addRowVector(x.own, b.own), tolerances().addRowVector());
        near("sumRows", REF.sumRows(x.ref), backend().sumRows(x.own), 1e-6); // both sum in double
        Pair big = random(rnd, Shape.of(300, 1000)); // a parallel split
        near("sumRows big", REF.sumRows(big.ref), backend().sumRows(big.own), 1e-6);
    }

    // ---- convolution (the tests are the subclasses': they choose paths and shapes) ----

    protected void checkConv(long seed, int n, int c, int h, int w, int o, int kh, int kw, Conv2dSpec spec) {
        Random rnd = new Random(seed);
        Pair x = random(rnd, Shape.of(n, c, h, w));
        Pair wt = random(rnd, Shape.of(o, c / spec.groups(), kh, kw));
        Pair bias = random(rnd, Shape.of(o));
        Backend own = backend();
        double tol = tolerances().conv();
        String what = "conv " + x.own.shape() + " w" + wt.own.shape() + " " + spec + convContext();
        near(what + " fwd", REF.conv2d(x.ref, wt.ref, bias.ref, spec), own.conv2d(x.own, wt.own, bias.own, spec), tol);
        near(what + " fwd no bias", REF.conv2d(x.ref, wt.ref, null, spec), own.conv2d(x.own, wt.own, null, spec), tol);
        Shape outShape = REF.conv2d(x.ref, wt.ref, null, spec).shape();
        Pair gy = random(rnd, outShape);
        for (boolean withBias : new boolean[] {true, false}) {
            for (boolean needDx : new boolean[] {true, false}) {
                Conv2dGrads r = REF.conv2dBackward(x.ref, wt.ref, gy.ref, spec, withBias, needDx);
                Conv2dGrads g = own.conv2dBackward(x.own, wt.own, gy.own, spec, withBias, needDx);
                String tag = what + " bwd bias=" + withBias + " dx=" + needDx;
                near(tag + " dw", r.weight(), g.weight(), tol);
                if (needDx) near(tag + " dx", r.input(), g.input(), tol);
                else assertNull(g.input(), tag);
                if (withBias) near(tag + " db", r.bias(), g.bias(), tolerances().convBias());
                else assertNull(g.bias(), tag);
            }
        }
    }

    /** The odd shapes every backend runs: strides, asymmetric padding, non-square kernels. */
    protected void checkOddConvShapes() {
        checkConv(10, 3, 5, 7, 7, 4, 3, 2, new Conv2dSpec(2, 2, 1, 1));
        checkConv(11, 2, 3, 9, 6, 5, 3, 3, new Conv2dSpec(2, 1, 1, 0));
        checkConv(13, 2, 4, 6, 6, 3, 5, 5, Conv2dSpec.of(1, 2)); // padding up to the kernel edge
        checkConv(14, 2, 2, 4, 5, 3, 2, 3, new Conv2dSpec(3, 2, 0, 1));
        checkConv(15, 1, 1, 28, 28, 8, 3, 3, Conv2dSpec.of(1, 1)); // student conv1
        checkConv(17, 2, 2, 5, 4, 6, 2, 2, Conv2dSpec.of(1, 2)); // output larger than the input
    }

    /**
     * Issue 17's general convolutions, Conv2dSpec(strideH, strideW, padTop, padLeft, padBottom, padRight,
     * dilationH, dilationW, groups): grouped, depthwise with multipliers 1 and 2, dilated, asymmetrically
     * padded (ONNX SAME_UPPER of an even kernel), and mixes of them.
     */
    protected void checkGeneralConvShapes() {
        checkConv(40, 2, 6, 7, 7, 9, 3, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 3)); // grouped (ResNeXt-like)
        checkConv(41, 2, 5, 9, 8, 5, 3, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 5)); // depthwise (MobileNet)
        checkConv(42, 3, 4, 9, 7, 8, 3, 2, new Conv2dSpec(2, 1, 1, 0, 2, 1, 2, 1, 4)); // depthwise x2, strided, dilated, asymmetric
        checkConv(43, 2, 3, 9, 9, 4, 3, 3, new Conv2dSpec(1, 1, 2, 2, 2, 2, 2, 2, 1)); // dilated dense
        checkConv(44, 2, 3, 6, 7, 4, 2, 2, new Conv2dSpec(1, 1, 0, 0, 1, 1, 1, 1, 1)); // asymmetric: SAME_UPPER of 2x2
        checkConv(45, 2, 4, 8, 8, 6, 1, 1, new Conv2dSpec(1, 1, 0, 0, 0, 0, 1, 1, 2)); // grouped 1x1
        checkConv(46, 2, 8, 10, 10, 8, 3, 3, new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1, 8)); // depthwise stride 2, pad bottom/right only
        checkConv(47, 1, 3, 5, 5, 3, 3, 3, new Conv2dSpec(1, 1, 0, 1, 2, 0, 3, 1, 3)); // a window reaching far into the padding
        checkConv(48, 2, 6, 6, 6, 4, 3, 3, new Conv2dSpec(1, 1, 2, 1, 0, 1, 1, 2, 2)); // grouped, dilated, asymmetric
        checkConv(49, 2, 4, 5, 5, 8, 1, 1, new Conv2dSpec(1, 1, 0, 0, 1, 0, 1, 1, 1)); // 1x1 with padding on one side only
    }

    // ---- pooling ----

    protected void checkPools(Pair x, Pool2dSpec spec, long seed) {
        String what = "pool " + x.own.shape() + " " + spec;
        Backend own = backend();
        Tensor rMax = REF.maxPool2d(x.ref, spec);
        exact(what + " max fwd", rMax, own.maxPool2d(x.own, spec)); // picks one input exactly
        Pair gy = random(new Random(seed), rMax.shape());
        near(what + " max bwd", REF.maxPool2dBackward(x.ref, gy.ref, spec), own.maxPool2dBackward(x.own, gy.own, spec), 1e-6);
        near(what + " avg fwd", REF.avgPool2d(x.ref, spec), own.avgPool2d(x.own, spec), 1e-6); // float vs double sum of <= 9
        near(what + " avg bwd", REF.avgPool2dBackward(x.ref.shape(), gy.ref, spec), own.avgPool2dBackward(x.own.shape(), gy.own, spec), 1e-6);
    }

    /** Special values (NaN, -0, infinities) are the subclasses': their pooling paths differ. */
    @Test void poolingTiesPaddingOddSizes() {
        Random rnd = new Random(30);
        Pool2dSpec[] specs = {Pool2dSpec.square(2), new Pool2dSpec(3, 3, 2, 2, 1, 1), new Pool2dSpec(3, 2, 2, 1, 1, 1),
            new Pool2dSpec(2, 2, 1, 1, 0, 0), new Pool2dSpec(3, 3, 1, 1, 1, 1)};
        for (Pool2dSpec s : specs) {
            checkPools(random(rnd, Shape.of(3, 5, 7, 7)), s, 31);
            checkPools(ties(rnd, Shape.of(3, 5, 7, 6)), s, 32);
        }
        checkPools(ties(rnd, Shape.of(64, 32, 28, 28)), Pool2dSpec.square(2), 33); // a parallel split
    }

    // ---- batch norm ----

    @Test void batchNormRank4And2() {
        Random rnd = new Random(40);
        Backend own = backend();
        double tol = tolerances().batchNorm();
        for (Shape s : new Shape[] {Shape.of(3, 5, 7, 7), Shape.of(9, 6), Shape.of(16, 8, 14, 14)}) {
            int c = s.dim(1);
            Pair x = random(rnd, s);
            Pair gamma = random(rnd, Shape.of(c));
            Pair beta = random(rnd, Shape.of(c));
            BatchNormResult r = REF.batchNormTrain(x.ref, gamma.ref, beta.ref, 1e-5f);
            BatchNormResult g = own.batchNormTrain(x.own, gamma.own, beta.own, 1e-5f);
            near("bn out " + s, r.output(), g.output(), tol);
            near("bn mean " + s, r.mean(), g.mean(), 1e-6);
            near("bn var " + s, r.variance(), g.variance(), 1e-6);
            near("bn invStd " + s, r.invStd(), g.invStd(), 1e-6);
            Pair gy = random(rnd, s);
            BatchNormGrads rg = REF.batchNormBackward(x.ref, gamma.ref, r.mean(), r.invStd(), gy.ref);
            BatchNormGrads gg = own.batchNormBackward(x.own, gamma.own, g.mean(), g.invStd(), gy.own);
            near("bn dx " + s, rg.input(), gg.input(), 1e-5); // dx cancels: M*g - sum(g) - xhat*sum(g*xhat)
            near("bn dgamma " + s, rg.gamma(), gg.gamma(), tol);
            near("bn dbeta " + s, rg.beta(), gg.beta(), 1e-6);
            near("bn inference " + s, REF.batchNormInference(x.ref, gamma.ref, beta.ref, r.mean(), r.variance(), 1e-3f),
                    own.batchNormInference(x.own, gamma.own, beta.own, g.mean(), g.variance(), 1e-3f), tol);
        }
    }

    // ---- element-wise: one rounding or none, so bit-exact ----

    @Test void elementwiseSmallLargeAndSpecialValues() {
        Random rnd = new Random(50);
        Backend own = backend();
        for (int n : new int[] {1, 37, 300_001}) {
            Pair a = random(rnd, Shape.of(n));
            Pair b = random(rnd, Shape.of(n));
            exact("relu " + n, REF.relu(a.ref), own.relu(a.own));
            exact("reluBackward " + n, REF.reluBackward(REF.relu(a.ref), b.ref), own.reluBackward(own.relu(a.own), b.own));
            exact("add " + n, REF.add(a.ref, b.ref), own.add(a.own, b.own));
            exact("mul " + n, REF.mul(a.ref, b.ref), own.mul(a.own, b.own));
            exact("scale " + n, REF.scale(a.ref, -0.37f), own.scale(a.own, -0.37f));
            REF.addInPlace(a.ref, b.ref);
            own.addInPlace(a.own, b.own);
            exact("addInPlace " + n, a.ref, a.own);
        }
        Pair special = pair(SPECIAL_VALUES, Shape.of(SPECIAL_VALUES.length));
        float[] relu = own.relu(special.own).toFloatArray();
        float[] expRelu = REF.relu(special.ref).toFloatArray();
        for (int i = 0; i < relu.length; i++) {
            assertEquals(Float.floatToIntBits(expRelu[i]), Float.floatToIntBits(relu[i]), "relu " + SPECIAL_VALUES[i]);
        }
    }

    @Test void softmaxCrossEntropy() {
        Random rnd = new Random(60);
        for (int[] nk : softmaxShapes()) {
            Pair logits = random(rnd, Shape.of(nk[0], nk[1]));
            int[] labels = new int[nk[0]];
            for (int i = 0; i < labels.length; i++) labels[i] = rnd.nextInt(nk[1]);
            LossResult r = REF.softmaxCrossEntropy(logits.ref, labels);
            LossResult g = backend().softmaxCrossEntropy(logits.own, labels);
            // same double arithmetic; the floor: one class gives a loss of exactly 0
            assertEquals(r.loss(), g.loss(), 1e-6 * Math.max(Math.abs(r.loss()), 1e-6), "loss " + Arrays.toString(nk));
            near("xent grad " + Arrays.toString(nk), r.gradLogits(), g.gradLogits(), 1e-6);
        }
        Pair logits = random(rnd, Shape.of(2, 3));
        assertThrows(IllegalArgumentException.class, () -> backend().softmaxCrossEntropy(logits.own, new int[] {0, 3}), "label 3 of 3 classes");
    }

    // ---- optimisers: float vs double per element, a few ulps ----

    @Test void sgdVariants() {
        Backend own = backend();
        for (int n : new int[] {13, 200_003}) {
            Random rnd = new Random(70);
            Pair p = random(rnd, Shape.of(n));
            Pair v = new Pair(REF.zeros(Shape.of(n)), own.zeros(Shape.of(n)));
            Pair v2 = new Pair(REF.zeros(Shape.of(n)), own.zeros(Shape.of(n)));
            for (int step = 0; step < 3; step++) {
                Pair g = random(rnd, Shape.of(n));
                REF.sgdUpdate(p.ref, g.ref, null, 0.1f, 0f, 0.01f, false);
                own.sgdUpdate(p.own, g.own, null, 0.1f, 0f, 0.01f, false);
                REF.sgdUpdate(p.ref, g.ref, v.ref, 0.05f, 0.9f, 5e-4f, false);
                own.sgdUpdate(p.own, g.own, v.own, 0.05f, 0.9f, 5e-4f, false);
                REF.sgdUpdate(p.ref, g.ref, v2.ref, 0.05f, 0.9f, 0f, true);
                own.sgdUpdate(p.own, g.own, v2.own, 0.05f, 0.9f, 0f, true);
            }
            near("sgd param " + n, p.ref, p.own, 1e-6);
            near("sgd velocity " + n, v.ref, v.own, 1e-6);
            near("nesterov velocity " + n, v2.ref, v2.own, 1e-6);
        }
    }

    @Test void adamAndAdamW() {
        Backend own = backend();
        for (boolean decoupled : new boolean[] {false, true}) {
            for (int n : new int[] {11, 150_001}) {
                Random rnd = new Random(80);
                Pair p = random(rnd, Shape.of(n));
                Pair m = new Pair(REF.zeros(Shape.of(n)), own.zeros(Shape.of(n)));
                Pair v = new Pair(REF.zeros(Shape.of(n)), own.zeros(Shape.of(n)));
                for (int step = 1; step <= 4; step++) {
                    Pair g = random(rnd, Shape.of(n));
                    REF.adamUpdate(p.ref, g.ref, m.ref, v.ref, step, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled);
                    own.adamUpdate(p.own, g.own, m.own, v.own, step, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled);
                }
                String tag = (decoupled ? "adamw " : "adam ") + n;
                near(tag + " param", p.ref, p.own, 1e-6);
                near(tag + " m", m.ref, m.own, 1e-6);
                near(tag + " v", v.ref, v.own, 1e-6);
            }
        }
    }
}
