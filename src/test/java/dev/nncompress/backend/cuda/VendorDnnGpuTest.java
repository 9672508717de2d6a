package dev.nncompress.backend.cuda;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.backend.BatchNormGrads;
import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.kernels.Dnn;
import dev.nncompress.backend.cuda.vendor.BytedecoCuda;
import dev.nncompress.backend.cuda.vendor.CudnnActivation;
import dev.nncompress.backend.cuda.vendor.CudnnBatchNorm;
import dev.nncompress.backend.cuda.vendor.CudnnHandle;
import dev.nncompress.backend.cuda.vendor.CudnnPooling;
import dev.nncompress.backend.cuda.vendor.CudnnSoftmax;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static dev.nncompress.backend.BackendContractTest.near;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The {@link Dnn} ops other than convolution (pooling, ReLU, batch norm with and without the running
 * update, softmax cross-entropy) through CudaBackend on each route that loads: "own" (our kernels) and
 * "cudnn" (cuDNN 9 through bytedeco, skipped with the reason where it does not load), against the
 * ReferenceBackend on odd shapes, ties and special values. Tolerances, as fractions of the reference
 * tensor's largest magnitude: ours as CudaBackendTest (exact where one input is picked, 1e-6 where we
 * sum in double); cuDNN computes in float where we sum in double, so 1e-5, and 1e-4 for batch norm's dx
 * (M*g - sum(g) - xhat*sum(g*xhat) cancels). On the cuDNN route each case also asserts that cuDNN's
 * rule takes it, so a comparison is never silently ours against the reference.
 */
@Tag("gpu")
class VendorDnnGpuTest {
    static final ReferenceBackend REF = new ReferenceBackend();

    static CudaBackend open(String route) {
        CudaDriver d = Gpu.driverOrSkip();
        if (route.equals("own")) return CudaBackend.ownKernelsOnly();
        String why = BytedecoCuda.load(CudnnHandle.PRESET);
        Assumptions.assumeTrue(why == null, () -> "cuDNN unavailable: " + why);
        return new CudaBackend(null, new CudnnHandle(d));
    }

    static boolean vendor(CudaBackend b) { return !b.dnnName().startsWith("own"); }

    record Pair(Tensor ref, Tensor gpu) {}

    static Pair pair(CudaBackend b, float[] d, Shape s) { return new Pair(REF.fromFloats(d, s), b.fromFloats(d, s)); }

    static float[] random(Random rnd, int n, boolean ties) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = ties ? rnd.nextInt(3) : (float) rnd.nextGaussian();
        return d;
    }

    @ParameterizedTest @ValueSource(strings = {"own", "cudnn"})
    void pooling(String route) {
        try (CudaBackend b = open(route)) {
            double tol = vendor(b) ? 1e-5 : 1e-6;
            Random rnd = new Random(30);
            Pool2dSpec[] specs = {Pool2dSpec.square(2), new Pool2dSpec(3, 3, 2, 2, 1, 1), new Pool2dSpec(3, 2, 2, 1, 1, 1),
                new Pool2dSpec(2, 2, 1, 1, 0, 0), new Pool2dSpec(3, 3, 1, 1, 1, 1)};
            Shape[] shapes = {Shape.of(3, 5, 7, 7), Shape.of(2, 3, 7, 6), Shape.of(64, 32, 28, 28)};
            for (Pool2dSpec spec : specs) {
                for (Shape s : shapes) {
                    for (boolean ties : new boolean[] {false, true}) pools(b, pair(b, random(rnd, s.numel(), ties), s), spec, rnd, tol);
                }
            }
            float[] special = {1, Float.NaN, 3, 2, -0f, 0f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
            pools(b, pair(b, special, Shape.of(1, 1, 2, 4)), Pool2dSpec.square(2), rnd, tol);
        }
    }

    static void pools(CudaBackend b, Pair x, Pool2dSpec spec, Random rnd, double tol) {
        String what = b.dnnName() + " pool " + x.gpu.shape() + " " + spec;
        if (vendor(b)) {
            var g = ArgChecks.pool("test", x.gpu.shape(), spec);
            assertNull(CudnnPooling.fallbackReason(Dnn.PoolMode.MAX, false, g), what);
            assertNull(CudnnPooling.fallbackReason(Dnn.PoolMode.AVERAGE, true, g), what);
        }
        Tensor rMax = REF.maxPool2d(x.ref, spec);
        near(what + " max fwd", rMax, b.maxPool2d(x.gpu, spec), 0); // picks one input exactly (NaN wins)
        Pair gy = pair(b, random(rnd, rMax.numel(), false), rMax.shape());
        // our kernel on both routes (first maximum on ties)
        near(what + " max bwd", REF.maxPool2dBackward(x.ref, gy.ref, spec), b.maxPool2dBackward(x.gpu, gy.gpu, spec), 1e-6);
        near(what + " avg fwd", REF.avgPool2d(x.ref, spec), b.avgPool2d(x.gpu, spec), tol);
        near(what + " avg bwd", REF.avgPool2dBackward(x.ref.shape(), gy.ref, spec), b.avgPool2dBackward(x.gpu.shape(), gy.gpu, spec), tol);
    }

    @ParameterizedTest @ValueSource(strings = {"own", "cudnn"})
    void relu(String route) {
        try (CudaBackend b = open(route)) {
            Random rnd = new Random(50);
            for (int n : new int[] {1, 37, 300_001}) {
                if (vendor(b)) assertNull(CudnnActivation.fallbackReason(n));
                Pair a = pair(b, random(rnd, n, false), Shape.of(n)), g = pair(b, random(rnd, n, false), Shape.of(n));
                near(b.dnnName() + " relu " + n, REF.relu(a.ref), b.relu(a.gpu), 0); // -0 and +0 compare equal
                near(b.dnnName() + " reluBackward " + n, REF.reluBackward(REF.relu(a.ref), g.ref), b.reluBackward(b.relu(a.gpu), g.gpu), 0);
            }
            float[] special = {-0f, 0f, Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f};
            Pair s = pair(b, special, Shape.of(3, 3));
            near(b.dnnName() + " relu special", REF.relu(s.ref), b.relu(s.gpu), 0);
        }
    }

    @ParameterizedTest @ValueSource(strings = {"own", "cudnn"})
    void batchNorm(String route) {
        try (CudaBackend b = open(route)) {
            boolean v = vendor(b);
            double tol = v ? 1e-5 : 1e-6, dxTol = v ? 1e-4 : 1e-5;
            Random rnd = new Random(40);
            // eps 1e-3: large enough that a backward recomputing invStd with another epsilon would show
            for (Shape s : new Shape[] {Shape.of(3, 5, 7, 7), Shape.of(9, 6), Shape.of(16, 8, 14, 14), Shape.of(1, 4), Shape.of(1, 3, 1, 1)}) {
                String what = b.dnnName() + " bn " + s;
                int c = s.dim(1);
                Dnn.NormLayout l = Dnn.NormLayout.of(ArgChecks.normLayout("test", REF.zeros(s)));
                if (v && l.count() > 1) assertNull(CudnnBatchNorm.fallbackReason(l, 1e-3, true), what);
                float[] xv = random(rnd, s.numel(), false);
                for (int i = 0; i < xv.length; i++) xv[i] = 3 + 2 * xv[i]; // a mean far from 0
                Pair x = pair(b, xv, s), gamma = pair(b, random(rnd, c, false), Shape.of(c)), beta = pair(b, random(rnd, c, false), Shape.of(c));
                float[] rm0 = random(rnd, c, false), rv0 = new float[c];
                for (int i = 0; i < c; i++) rv0[i] = 0.5f + rm0[i] * rm0[i];
                Pair rm = pair(b, rm0, Shape.of(c)), rv = pair(b, rv0, Shape.of(c));
                BatchNormResult r = REF.batchNormTrain(x.ref, gamma.ref, beta.ref, 1e-3f, 0.1f, rm.ref, rv.ref);
                BatchNormResult g = b.batchNormTrain(x.gpu, gamma.gpu, beta.gpu, 1e-3f, 0.1f, rm.gpu, rv.gpu);
                near(what + " out", r.output(), g.output(), tol);
                near(what + " mean", r.mean(), g.mean(), tol);
                near(what + " var", r.variance(), g.variance(), tol);
                near(what + " invStd", r.invStd(), g.invStd(), tol);
                near(what + " running mean", rm.ref, rm.gpu, tol);
                near(what + " running var (unbiased, momentum 0.1)", rv.ref, rv.gpu, tol);
                BatchNormResult plain = b.batchNormTrain(x.gpu, gamma.gpu, beta.gpu, 1e-3f);
                near(what + " out without running update", r.output(), plain.output(), tol);
                near(what + " var without running update", r.variance(), plain.variance(), tol);
                Pair gy = pair(b, random(rnd, s.numel(), false), s);
                BatchNormGrads rg = REF.batchNormBackward(x.ref, gamma.ref, r.mean(), r.invStd(), gy.ref);
                BatchNormGrads gg = b.batchNormBackward(x.gpu, gamma.gpu, g.mean(), g.invStd(), gy.gpu);
                near(what + " dx", rg.input(), gg.input(), dxTol);
                near(what + " dgamma", rg.gamma(), gg.gamma(), tol);
                near(what + " dbeta", rg.beta(), gg.beta(), tol);
                near(what + " inference", REF.batchNormInference(x.ref, gamma.ref, beta.ref, rm.ref, rv.ref, 1e-3f),
                        b.batchNormInference(x.gpu, gamma.gpu, beta.gpu, rm.gpu, rv.gpu, 1e-3f), tol);
            }
        }
    }

    @ParameterizedTest @ValueSource(strings = {"own", "cudnn"})
    void softmaxCrossEntropy(String route) {
        try (CudaBackend b = open(route)) {
            double tol = vendor(b) ? 1e-5 : 1e-6;
            Random rnd = new Random(60);
            for (int[] nk : new int[][] {{7, 10}, {1, 1}, {300, 37}, {5, 3}}) {
                if (vendor(b)) assertNull(CudnnSoftmax.fallbackReason(nk[0], nk[1]));
                float[] z = random(rnd, nk[0] * nk[1], false);
                if (nk[0] == 5) for (int i = 0; i < z.length; i++) z[i] *= 40; // probabilities far below float's
                Pair logits = pair(b, z, Shape.of(nk[0], nk[1]));
                int[] labels = new int[nk[0]];
                for (int i = 0; i < labels.length; i++) labels[i] = rnd.nextInt(nk[1]);
                LossResult r = REF.softmaxCrossEntropy(logits.ref, labels);
                LossResult g = b.softmaxCrossEntropy(logits.gpu, labels);
                String what = b.dnnName() + " xent " + nk[0] + "x" + nk[1];
                assertEquals(r.loss(), g.loss(), tol * Math.max(Math.abs(r.loss()), 1e-6), what + " loss");
                near(what + " grad", r.gradLogits(), g.gradLogits(), tol);
            }
        }
    }
}
