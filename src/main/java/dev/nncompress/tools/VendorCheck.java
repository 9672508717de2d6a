package dev.nncompress.tools;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.cuda.CudaBackend;
import dev.nncompress.backend.cuda.CudaDriver;
import dev.nncompress.backend.cuda.VendorStack;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The vendor rows of {@code scripts/gpu-check.sh}, one {@code RESULT} line each (the harness format):
 * float GEMM on our gemm_f32 and on cuBLAS at 1024^3 and 4096^3 (each checked on sampled entries
 * against a double CPU sum), the teacher's conv2 layer forward and backward on our im2col route and on
 * cuDNN (checked against each other and the forward against the ReferenceBackend), pooling, ReLU,
 * batch norm and softmax cross-entropy on our kernels and on cuDNN ({@link VendorDnnCheck}), our
 * gemm_s8 (int32 output) against cublasGemmEx int8 at 1024^3 and 4096^3 ({@link VendorInt8Check}), and
 * per built-in model the GPU-vs-CPU agreement of two training steps (max error of the weights relative
 * to each tensor's largest magnitude, as VendorTrainingGpuTest) and the training rate in img/s with the
 * chosen libraries and with our kernels only (the baseline, measured in the same run); then the teacher's
 * training and batch-1024 inference rates against the 2-core CPU ({@link GpuSpeedTargets}).
 * Exit code 0 when every check passed, 1 when one failed, 2 without a usable GPU.
 */
public final class VendorCheck {
    private static final int REPS = 10;
    private static boolean failed;

    private VendorCheck() {}

    public static void main(String[] args) {
        String why = CudaDriver.unavailableReason();
        if (why != null) {
            System.out.println("no CUDA device: " + why);
            System.exit(2);
        }
        try (CudaBackend vendor = new CudaBackend(); CudaBackend own = CudaBackend.ownKernelsOnly()) {
            System.out.println("vendor route: BLAS " + vendor.blasName() + ", DNN " + vendor.dnnName());
            for (int size : new int[] {1024, 4096}) {
                gemm(own, "sgemm_own", size);
                gemm(vendor, "sgemm_" + tag(vendor.blasName()), size);
            }
            conv(own, vendor);
            VendorDnnCheck.run(own, vendor);
            VendorInt8Check.run(CudaDriver.get(), VendorStack.get(CudaDriver.get(), false).vendorBlas());
            for (String model : Models.NAMES) model(model, vendor, own);
            GpuSpeedTargets.run(vendor);
        }
        System.exit(failed ? 1 : 0);
    }

    static String tag(String libraryName) { return libraryName.startsWith("own") ? "own" : libraryName.split(" ")[0].toLowerCase(Locale.ROOT); }

    private static void gemm(CudaBackend b, String name, int size) {
        Random rnd = new Random(1);
        float[] a = random(rnd, size * size), c = random(rnd, size * size);
        Shape s = Shape.of(size, size);
        try (Tensor ta = b.fromFloats(a, s); Tensor tb = b.fromFloats(c, s)) {
            double ms = median(() -> b.matmul(ta, false, tb, false).close(), b::synchronize);
            float[] got;
            try (Tensor out = b.matmul(ta, false, tb, false)) {
                got = out.toFloatArray();
            }
            // 256 sampled entries in double; tolerance 1e-5 of the sampled magnitude (FP32 sums, no TF32)
            double err = 0, mag = 0;
            Random pick = new Random(2);
            double[] want = new double[256];
            int[] at = new int[256];
            for (int t = 0; t < 256; t++) {
                int i = pick.nextInt(size), j = pick.nextInt(size);
                double sum = 0;
                for (int k = 0; k < size; k++) sum += (double) a[i * size + k] * c[k * size + j];
                want[t] = sum;
                at[t] = i * size + j;
                mag = Math.max(mag, Math.abs(sum));
            }
            for (int t = 0; t < 256; t++) err = Math.max(err, Math.abs(got[at[t]] - want[t]) / mag);
            result(name, size + "x" + size + "x" + size, err, 1e-5, ms, 2.0 * size * size * size / (ms * 1e-3) / 1e12, "TFLOP/s");
        }
    }

    private static void conv(CudaBackend own, CudaBackend vendor) {
        // the teacher's second conv layer at batch 64: 32 -> 64 channels, 28x28, 3x3, pad 1
        Random rnd = new Random(3);
        Shape xs = Shape.of(64, 32, 28, 28), ws = Shape.of(64, 32, 3, 3);
        float[] x = random(rnd, xs.numel()), w = random(rnd, ws.numel());
        Conv2dSpec spec = new Conv2dSpec(1, 1, 1, 1);
        double flops = 2.0 * 64 * 64 * 32 * 9 * 28 * 28;
        ReferenceBackend ref = new ReferenceBackend();
        float[] want;
        try (Tensor rx = ref.fromFloats(x, xs); Tensor rw = ref.fromFloats(w, ws); Tensor ry = ref.conv2d(rx, rw, null, spec)) {
            want = ry.toFloatArray();
        }
        float[][] fwd = new float[2][], dw = new float[2][];
        CudaBackend[] routes = {own, vendor};
        for (int r = 0; r < 2; r++) {
            CudaBackend b = routes[r];
            String name = r == 0 ? "conv_own" : "conv_" + tag(b.dnnName());
            try (Tensor tx = b.fromFloats(x, xs); Tensor tw = b.fromFloats(w, ws); Tensor y = b.conv2d(tx, tw, null, spec);
                 Tensor gy = b.fromFloats(random(new Random(4), y.numel()), y.shape())) {
                fwd[r] = y.toFloatArray();
                double ms = median(() -> b.conv2d(tx, tw, null, spec).close(), b::synchronize);
                result(name + "_fwd", "64x32x28x28_k3_o64", relErr(want, fwd[r]), 1e-5, ms, flops / (ms * 1e-3) / 1e12, "TFLOP/s");
                var g = b.conv2dBackward(tx, tw, gy, spec, false, true);
                dw[r] = g.weight().toFloatArray();
                g.input().close();
                g.weight().close();
                double bms = median(() -> {
                    var gg = b.conv2dBackward(tx, tw, gy, spec, false, true);
                    gg.input().close();
                    gg.weight().close();
                }, b::synchronize);
                // backward: our route is the reference here (VendorConvGpuTest checks it against the CPU on odd shapes)
                result(name + "_bwd", "64x32x28x28_k3_o64", r == 0 ? 0 : relErr(dw[0], dw[1]), 1e-5, bms, 2 * flops / (bms * 1e-3) / 1e12,
                        "TFLOP/s");
            }
        }
    }

    private static void model(String model, CudaBackend vendor, CudaBackend own) {
        Dataset small = synthetic(32, 3);
        TrainConfig two = new TrainConfig(1, 16, new OptimizerConfig.Sgd(0.05f, 0.9f, 5e-4f, false), new LrSchedule.Constant(), 5);
        ReferenceBackend ref = new ReferenceBackend();
        Graph gv = Models.byName(model, vendor, 7), gr = Models.byName(model, ref, 7);
        new Trainer(vendor, two).fit(gv, small, null, TrainListener.NONE);
        new Trainer(ref, two).fit(gr, small, null, TrainListener.NONE);
        double err = 0;
        for (Parameter p : gr.params().values()) err = Math.max(err, relErr(p.value().toFloatArray(), gv.param(p.name()).value().toFloatArray()));
        Dataset big = synthetic(2048, 5);
        TrainConfig timed = new TrainConfig(2, 128, new OptimizerConfig.Sgd(0.05f, 0.9f, 5e-4f, false), new LrSchedule.Constant(), 5);
        for (CudaBackend b : new CudaBackend[] {vendor, own}) {
            List<EpochStats> h = new Trainer(b, timed).fit(Models.byName(model, b, 7), big, null, TrainListener.NONE);
            EpochStats e = h.get(1); // the second epoch: warm caches, algorithms chosen
            String route = b == own ? "own" : tag(b.blasName()) + "+" + tag(b.dnnName());
            result("train_" + model + "_" + route, "batch128", err, 1e-3, e.seconds() * 1e3 / (2048 / 128), e.imagesPerSecond(), "img/s");
        }
    }

    /** A class-dependent bright band plus noise, so losses move (also the GPU training tests' data). */
    static Dataset synthetic(int count, long seed) { return synthetic(count, seed, 28); }

    /** The same at size x size pixels (the band scaled with the image; the emulated GPU tests use smaller ones). */
    public static Dataset synthetic(int count, long seed, int size) {
        Random rnd = new Random(seed);
        float[] images = new float[count * size * size];
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = rnd.nextInt(10);
            for (int p = 0; p < size * size; p++) {
                boolean band = (p / size) * 28 / size / 3 == labels[i];
                images[i * size * size + p] = (float) ((band ? 1.5 : -0.3) + 0.5 * rnd.nextGaussian());
            }
        }
        return new Dataset(images, labels, 1, size, size, 10);
    }

    /** Median milliseconds of REPS runs after one warm-up, each waited for with {@code sync}. */
    static double median(Runnable op, Runnable sync) {
        op.run();
        sync.run();
        double[] ms = new double[REPS];
        for (int i = 0; i < REPS; i++) {
            long t0 = System.nanoTime();
            op.run();
            sync.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[REPS / 2];
    }

    /** max |got - want| over max |want|. */
    static double relErr(float[] want, float[] got) {
        double mag = 1e-30, err = 0;
        for (float v : want) mag = Math.max(mag, Math.abs(v));
        for (int i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
        return err / mag;
    }

    static void result(String name, String shape, double err, double tol, double ms, double rate, String unit) {
        boolean ok = err <= tol;
        result(name, shape, ok, String.format(Locale.ROOT, "max_rel_err=%.1e", err), ms, rate, unit);
    }

    /** One RESULT line; {@code check} is printed when ok, FAIL otherwise (and the exit code becomes 1). */
    static void result(String name, String shape, boolean ok, String check, double ms, double rate, String unit) {
        if (!ok) failed = true;
        System.out.printf(Locale.ROOT, "RESULT name=%s shape=%s check=%s time_ms=%.4f rate=%.1f unit=%s peak_frac=-%n", name, shape,
                ok ? check : "FAIL", ms, rate, unit);
    }

    static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
