package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import dev.nncompress.bench.Alternating;
import dev.nncompress.util.ProgressListener;

import java.util.Locale;
import java.util.SplittableRandom;

import static dev.nncompress.backend.cpu.ConvGradArrays.gaussian;

/**
 * The conv backward of every stride-1 conv of the built-in models at batch 64, the AVX-512 route
 * ({@link NativeConvGrad}) against the route taken without it (oneDNN, gemm or DirectConv), alternating rounds in one
 * run (what {@link CpuConv#route}'s AVX512 branch is measured on). Plain main, not a JUnit test:
 * {@code ... CpuConvGradBench [rounds] [batch] [dw|all|force] [seconds]} (dw: the weight gradient alone on every conv; force: the new side AVX512 wherever it applies).
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
        // force: the new side takes AVX512 wherever it applies (what the automatic route's threshold is measured on)
        boolean force = args.length > 2 && args[2].equals("force");
        double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 0.5;
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
                dev.nncompress.backend.ConvGeometry g = dev.nncompress.backend.ConvGeometry.of(n, ch, h, h, o, k, k, spec);
                boolean available = NativeConvGrad.available();
                NativeConvGrad.enabled = false;
                String oldRoute = CpuConv.route(g, true, dx).name();
                NativeConvGrad.enabled = available;
                String newRoute = CpuConv.route(g, true, dx).name();
                if (force) newRoute = "AVX512*";
                Runnable newCall = () -> {
                    NativeConvGrad.enabled = available;
                    CpuConv.forced = force ? CpuConv.Route.AVX512 : null;
                    close(cpu.conv2dBackward(x, w, gy, spec, true, dx));
                };
                Runnable oldCall = () -> {
                    NativeConvGrad.enabled = false;
                    CpuConv.forced = null;
                    close(cpu.conv2dBackward(x, w, gy, spec, true, dx));
                };
                Alternating.Comparison cmp = Alternating.compare(s -> Alternating.timed(newCall, n, s), s -> Alternating.timed(oldCall, n, s), rounds,
                        seconds, ProgressListener.NONE, "new vs old");
                NativeConvGrad.enabled = available;
                CpuConv.forced = null;
                // per call: the median round's wall time and process CPU time (all threads, oneDNN's included)
                System.out.printf(Locale.ROOT, "%-14s dx=%-5s new %-6s %8.0f us (CPU %8.0f)   old %-6s %8.0f us (CPU %8.0f)   wall %.2fx (pairs %.2f-%.2f), CPU %.2fx%n",
                        c[0], dx, newRoute, n * 1e6 / cmp.ours().imagesPerSecond(), n * cmp.ours().cpuMicrosPerImage(), oldRoute,
                        n * 1e6 / cmp.theirs().imagesPerSecond(), n * cmp.theirs().cpuMicrosPerImage(), cmp.ratio(), cmp.lowestRatio(), cmp.highestRatio(),
                        cmp.theirs().cpuMicrosPerImage() / cmp.ours().cpuMicrosPerImage());
            }
        }
    }

    private static void close(Conv2dGrads g) {
        if (g.input() != null) g.input().close();
        g.weight().close();
        if (g.bias() != null) g.bias().close();
    }
}
