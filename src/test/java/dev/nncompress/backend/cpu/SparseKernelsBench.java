package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.SparseWeight;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Break-even of the sparse kernels: dense op vs sparse op on the same backend, same inputs, in one
 * process, for the teacher's and student's conv and linear layers at several fractions of zeros.
 * Prints dense/sparse time ratios (> 1: sparse faster); the break-evens in CpuBackend and
 * ReferenceBackend come from here (docs/pruning.md).
 * Usage: SparseKernelsBench [cpu|reference] [reps]
 */
public final class SparseKernelsBench {
    static final boolean VERBOSE = Boolean.getBoolean("verbose");

    public static void main(String[] args) {
        Backend b = args.length > 0 && args[0].equals("reference") ? new ReferenceBackend() : new CpuBackend();
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        boolean ref = b instanceof ReferenceBackend;
        int n = ref ? 4 : 64;
        System.out.println(b.name() + " sparse kernels " + b.sparseKernels() + ", batch " + n + " (linear " + 4 * n + "), median of " + reps);
        double[] zeros = {0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
        System.out.printf(Locale.ROOT, "%-28s%s%n", "layer", Arrays.toString(zeros));
        conv(b, "teacher conv2 32->64 28x28", n, 32, 28, 64, zeros, reps);
        conv(b, "teacher conv3 64->128 14x14", n, 64, 14, 128, zeros, reps);
        conv(b, "student conv2 8->16 14x14", n, 8, 14, 16, zeros, reps);
        linear(b, "teacher fc1 6272->256", 4 * n, 6272, 256, zeros, reps);
        linear(b, "student fc1 784->64", 4 * n, 784, 64, zeros, reps);
    }

    static void conv(Backend b, String name, int n, int c, int hw, int o, double[] zeros, int reps) {
        SplittableRandom rnd = new SplittableRandom(1);
        Shape ws = Shape.of(o, c, 3, 3);
        Conv2dSpec spec = new Conv2dSpec(1, 1, 1, 1);
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-28s", name));
        try (Tensor x = b.fromFloats(random(rnd, n * c * hw * hw), Shape.of(n, c, hw, hw)); Tensor bias = b.fromFloats(random(rnd, o), Shape.of(o))) {
            for (double z : zeros) {
                float[] w = pruned(rnd, ws.numel(), z);
                try (Tensor tw = b.fromFloats(w, ws); SparseWeight sw = b.prepareSparse(SparseWeight.csrOf(w, ws), ws)) {
                    row.append(String.format(Locale.ROOT, " %5.2f", ratio(() -> b.conv2d(x, tw, bias, spec), () -> b.conv2dSparse(x, sw, bias, spec), reps)));
                }
            }
        }
        System.out.println(row);
    }

    static void linear(Backend b, String name, int n, int f, int o, double[] zeros, int reps) {
        SplittableRandom rnd = new SplittableRandom(2);
        Shape ws = Shape.of(o, f);
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-28s", name));
        try (Tensor x = b.fromFloats(random(rnd, n * f), Shape.of(n, f)); Tensor bias = b.fromFloats(random(rnd, o), Shape.of(o))) {
            for (double z : zeros) {
                float[] w = pruned(rnd, ws.numel(), z);
                try (Tensor tw = b.fromFloats(w, ws); SparseWeight sw = b.prepareSparse(SparseWeight.csrOf(w, ws), ws)) {
                    // dense Linear = matmul + bias row, as LinearOp does
                    Supplier<Tensor> dense = () -> {
                        try (Tensor y = b.matmul(x, false, tw, true)) {
                            return b.addRowVector(y, bias);
                        }
                    };
                    row.append(String.format(Locale.ROOT, " %5.2f", ratio(dense, () -> b.linearSparse(x, sw, bias), reps)));
                }
            }
        }
        System.out.println(row);
    }

    /** Median dense time / median sparse time, calls alternated so that load changes hit both. */
    static double ratio(Supplier<Tensor> dense, Supplier<Tensor> sparse, int reps) {
        dense.get().close();
        sparse.get().close();
        long[] d = new long[reps];
        long[] s = new long[reps];
        for (int r = 0; r < reps; r++) {
            d[r] = time(dense);
            s[r] = time(sparse);
        }
        Arrays.sort(d);
        Arrays.sort(s);
        if (VERBOSE) System.out.printf(Locale.ROOT, "  [dense %.3f ms, sparse %.3f ms]%n", d[reps / 2] / 1e6, s[reps / 2] / 1e6);
        return (double) d[reps / 2] / s[reps / 2];
    }

    static long time(Supplier<Tensor> op) {
        long t = System.nanoTime();
        op.get().close();
        return System.nanoTime() - t;
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    static float[] pruned(SplittableRandom rnd, int n, double zeros) {
        float[] a = random(rnd, n);
        for (int i = 0; i < n; i++) if (rnd.nextDouble() < zeros) a[i] = 0f;
        return a;
    }
}
