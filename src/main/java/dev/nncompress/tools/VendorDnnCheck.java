package dev.nncompress.tools;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BatchNormGrads;
import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.cuda.CudaBackend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Random;

import static dev.nncompress.tools.VendorCheck.median;
import static dev.nncompress.tools.VendorCheck.random;
import static dev.nncompress.tools.VendorCheck.relErr;
import static dev.nncompress.tools.VendorCheck.result;
import static dev.nncompress.tools.VendorCheck.tag;

/**
 * VendorCheck's rows for the {@code Dnn} ops besides convolution, on our kernels and on the vendor
 * route (cuDNN 9 where it loads), at the teacher's sizes (activations [64, 32, 28, 28], logits
 * [4096, 10]): each op's result against the ReferenceBackend (max error relative to the largest
 * |reference|; tolerance 1e-5, cuDNN's float sums against our double ones; 1e-4 for batch norm's dx,
 * which cancels) and its median time as GB/s of the tensors it reads and writes. Max-pool backward has
 * no vendor row: it runs on our kernel on both routes (CudnnPooling says why).
 */
final class VendorDnnCheck {
    private VendorDnnCheck() {}

    /** An op on a backend's copies of the inputs; what it returns is compared and freed. */
    private interface Op {
        Tensor apply(Backend b, Tensor[] in);
    }

    static void run(CudaBackend own, CudaBackend vendor) {
        Random rnd = new Random(6);
        Shape xs = Shape.of(64, 32, 28, 28), cs = Shape.of(32), ps = Shape.of(64, 32, 14, 14), ls = Shape.of(4096, 10);
        float[] x = random(rnd, xs.numel()), gy = random(rnd, xs.numel()), gyPool = random(rnd, ps.numel());
        float[] gamma = random(rnd, 32), beta = random(rnd, 32), mean = random(rnd, 32), var = random(rnd, 32), logits = random(rnd, ls.numel());
        for (int i = 0; i < var.length; i++) var[i] = 0.5f + var[i] * var[i];
        int[] labels = new int[ls.dim(0)];
        for (int i = 0; i < labels.length; i++) labels[i] = rnd.nextInt(10);
        Pool2dSpec two = Pool2dSpec.square(2), three = new Pool2dSpec(3, 3, 1, 1, 1, 1);
        String act = "64x32x28x28";
        double bytes = 4.0 * xs.numel();
        CudaBackend[] routes = {own, vendor};
        row("pool_max_fwd", act + "_k2s2", routes, 1e-5, bytes * 1.25, new float[][] {x}, new Shape[] {xs}, (b, in) -> b.maxPool2d(in[0], two));
        row("pool_avg_fwd", act + "_k3s1p1", routes, 1e-5, bytes * 2, new float[][] {x}, new Shape[] {xs}, (b, in) -> b.avgPool2d(in[0], three));
        row("pool_avg_bwd", act + "_k2s2", routes, 1e-5, bytes * 1.25, new float[][] {gyPool}, new Shape[] {ps},
                (b, in) -> b.avgPool2dBackward(xs, in[0], two));
        row("relu_fwd", act, routes, 1e-5, bytes * 2, new float[][] {x}, new Shape[] {xs}, (b, in) -> b.relu(in[0]));
        row("relu_bwd", act, routes, 1e-5, bytes * 3, new float[][] {x, gy}, new Shape[] {xs, xs}, (b, in) -> b.reluBackward(in[0], in[1]));
        float[][] bn = {x, gamma, beta, mean, var};
        Shape[] bnShapes = {xs, cs, cs, cs, cs};
        row("bn_train", act, routes, 1e-5, bytes * 3, bn, bnShapes, (b, in) -> {
            BatchNormResult r = b.batchNormTrain(in[0], in[1], in[2], 1e-5f, 0.1f, in[3], in[4]);
            closeAll(r.mean(), r.variance(), r.invStd());
            return r.output();
        });
        row("bn_inference", act, routes, 1e-5, bytes * 2, bn, bnShapes, (b, in) -> b.batchNormInference(in[0], in[1], in[2], in[3], in[4], 1e-5f));
        // backward from the reference's saved statistics, so the row times the backward alone
        float[][] stats = savedStatistics(x, xs, gamma, beta);
        row("bn_bwd", act, routes, 1e-4, bytes * 3, new float[][] {x, gamma, stats[0], stats[1], gy}, new Shape[] {xs, cs, cs, cs, xs},
                (b, in) -> {
                    BatchNormGrads g = b.batchNormBackward(in[0], in[1], in[2], in[3], in[4]);
                    closeAll(g.gamma(), g.beta());
                    return g.input();
                });
        row("softmax_xent", "4096x10", routes, 1e-5, 8.0 * ls.numel(), new float[][] {logits}, new Shape[] {ls},
                (b, in) -> b.softmaxCrossEntropy(in[0], labels).gradLogits());
    }

    /** The batch mean and invStd of training-mode batch norm (eps 1e-5), from the reference. */
    private static float[][] savedStatistics(float[] x, Shape xs, float[] gamma, float[] beta) {
        ReferenceBackend ref = new ReferenceBackend();
        BatchNormResult r = ref.batchNormTrain(ref.fromFloats(x, xs), ref.fromFloats(gamma, Shape.of(gamma.length)),
                ref.fromFloats(beta, Shape.of(beta.length)), 1e-5f);
        return new float[][] {r.mean().toFloatArray(), r.invStd().toFloatArray()};
    }

    /** One RESULT line per route: {@code op} against the reference, then timed. */
    private static void row(String name, String shape, CudaBackend[] routes, double tol, double bytes, float[][] data, Shape[] shapes, Op op) {
        ReferenceBackend ref = new ReferenceBackend();
        float[] want = op.apply(ref, upload(ref, data, shapes)).toFloatArray();
        for (CudaBackend b : routes) {
            Tensor[] in = upload(b, data, shapes);
            float[] got;
            try (Tensor out = op.apply(b, in)) {
                got = out.toFloatArray();
            }
            double ms = median(() -> op.apply(b, in).close(), b::synchronize);
            result(name + "_" + tag(b.dnnName()), shape, relErr(want, got), tol, ms, bytes / (ms * 1e-3) / 1e9, "GB/s");
            closeAll(in);
        }
    }

    private static Tensor[] upload(Backend b, float[][] data, Shape[] shapes) {
        Tensor[] t = new Tensor[data.length];
        for (int i = 0; i < t.length; i++) t[i] = b.fromFloats(data[i], shapes[i]);
        return t;
    }

    private static void closeAll(Tensor... tensors) {
        for (Tensor t : tensors) t.close();
    }
}
