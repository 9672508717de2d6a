package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The conv backward of every stride-1 conv of the built-in models at batch 64, the AVX-512 route
 * ({@link NativeConvGrad}) against the route taken without it (oneDNN, gemm or DirectConv), alternating rounds in one
 * run (what {@link CpuConv#route}'s AVX512 branch is measured on). Plain main, not a JUnit test:
 * {@code ... CpuConvGradBench [rounds] [batch] [dw]} (dw: the weight gradient alone on every conv).
 */
public final class CpuConvGradBench {
    private CpuConvGradBench() {}

    /** name, c, h, o, k, pad, needs dx (a first layer does not). */
    private static final Object[][] CONVS = {
        {"student conv1", 1, 28, 8, 3, 1, false}, {"student conv2", 8, 14, 16, 3, 1, true},
        {"lenet5 conv1", 1, 28, 6, 5, 2, false}, {"lenet5 conv2", 6, 14, 16, 5, 0, true},
        {"teacher conv1", 1, 28, 32, 3, 1, false}, {"teacher conv2", 32, 28, 64, 3, 1, true}, {"teacher conv3", 64, 14, 128, 3, 1, true},
        {"resnet8 stem", 1, 28, 16, 3, 1, false}, {"resnet8 16@28", 16, 28, 16, 3, 1, true}, {"resnet8 32@14", 32, 14, 32, 3, 1, true},
        {"resnet8 64@7", 64, 7, 64, 3, 1, true},
    };

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        boolean dwOnly = args.length > 2 && args[2].equals("dw");
        // one thread (-Dnncompress.cpu.javaThreads=1, OMP_NUM_THREADS=1): the thread's CPU time, steady on a loaded machine
        java.lang.management.ThreadMXBean tmx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.function.LongSupplier clock = CpuPar.threads() == 1 ? tmx::getCurrentThreadCpuTime : System::nanoTime;
        CpuBackend cpu = new CpuBackend();
        SplittableRandom r = new SplittableRandom(1);
        for (Object[] c : CONVS) {
            int ch = (int) c[1], h = (int) c[2], o = (int) c[3], k = (int) c[4], pad = (int) c[5];
            boolean dx = (boolean) c[6] && !dwOnly;
            Conv2dSpec spec = Conv2dSpec.of(1, pad);
            int oh = h + 2 * pad - k + 1;
            try (Tensor x = cpu.fromFloats(gaussian(r, n * ch * h * h), Shape.of(n, ch, h, h));
                 Tensor w = cpu.fromFloats(gaussian(r, o * ch * k * k), Shape.of(o, ch, k, k));
                 Tensor gy = cpu.fromFloats(gaussian(r, n * o * oh * oh), Shape.of(n, o, oh, oh))) {
                double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
                String[] route = new String[2];
                for (int round = 0; round < rounds; round++) {
                    for (int side = 0; side < 2; side++) {
                        NativeConvGrad.enabled = side == 1;
                        route[side] = CpuConv.route(dev.nncompress.backend.ConvGeometry.of(n, ch, h, h, o, k, k, spec), true, dx).name();
                        int reps = Math.max(3, (int) (2e9 / Math.max(1, 6.0 * n * o * ch * k * k * oh * oh)));
                        long t0 = clock.getAsLong();
                        for (int i = 0; i < reps; i++) close(cpu.conv2dBackward(x, w, gy, spec, true, dx));
                        best[side] = Math.min(best[side], (clock.getAsLong() - t0) / 1e3 / reps);
                    }
                }
                NativeConvGrad.enabled = NativeConvGrad.available();
                System.out.printf(Locale.ROOT, "%-14s dx=%-5s %-8s %8.0f us   %-6s %8.0f us   new/old %.2fx faster%n", c[0], dx, route[0], best[0], route[1],
                        best[1], best[0] / best[1]);
            }
        }
    }

    private static void close(Conv2dGrads g) {
        if (g.input() != null) g.input().close();
        g.weight().close();
        if (g.bias() != null) g.bias().close();
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
