package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvStage;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.PoolArgmax;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * conv2d forward per built-in model's conv shape (batch 64 by default): the route before issue 23's {@link CpuConv.Route#STACK}
 * against STACK, in alternating blocks, median microseconds per call each. Plain main, not a test:
 * {@code ... ConvForwardRouteBench [rounds] [batch]}. What {@link CpuConv#route}'s forward branch was set from.
 */
public final class ConvForwardRouteBench {
    private ConvForwardRouteBench() {}

    /** name, c, h, w, o, k, stride, pad [, what the training pass fuses after it: "pool" or "relu"]. */
    private static final Object[][] SHAPES = {
        {"student conv1", 1, 28, 28, 8, 3, 1, 1, "pool"}, {"student conv2", 8, 14, 14, 16, 3, 1, 1, "pool"},
        {"lenet5 conv1", 1, 28, 28, 6, 5, 1, 2, "pool"}, {"lenet5 conv2", 6, 14, 14, 16, 5, 1, 0, "pool"},
        {"teacher conv1", 1, 28, 28, 32, 3, 1, 1, "relu"}, {"teacher conv2", 32, 28, 28, 64, 3, 1, 1, "pool"},
        {"teacher conv3", 64, 14, 14, 128, 3, 1, 1, "pool"},
        {"resnet8 stem", 1, 28, 28, 16, 3, 1, 1}, {"resnet8 16->16", 16, 28, 28, 16, 3, 1, 1}, {"resnet8 16->32/2", 16, 28, 28, 32, 3, 2, 1},
        {"resnet8 32->32", 32, 14, 14, 32, 3, 1, 1}, {"resnet8 down 16->32 1x1/2", 16, 28, 28, 32, 1, 2, 0},
        {"resnet8 32->64/2", 32, 14, 14, 64, 3, 2, 1}, {"resnet8 64->64", 64, 7, 7, 64, 3, 1, 1}, {"resnet8 down 32->64 1x1/2", 32, 14, 14, 64, 1, 2, 0},
    };

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        CpuBackend cpu = new CpuBackend();
        Random r = new Random(1);
        System.out.println("cpu backend: " + cpu.describe() + ", batch " + batch + ", " + CpuPar.threads() + " threads");
        for (Object[] s : SHAPES) {
            int c = (int) s[1], h = (int) s[2], w = (int) s[3], o = (int) s[4], k = (int) s[5];
            Conv2dSpec spec = Conv2dSpec.of((int) s[6], (int) s[7]);
            try (Tensor x = random(cpu, r, Shape.of(batch, c, h, w)); Tensor wt = random(cpu, r, Shape.of(o, c, k, k));
                 Tensor b = random(cpu, r, Shape.of(o))) {
                CpuConv.stackForward = false;
                String before = String.valueOf(CpuConv.route(dev.nncompress.backend.ConvGeometry.of(batch, c, h, w, o, k, k, spec), false, false));
                CpuConv.stackForward = true;
                double[][] t = new double[2][rounds];
                int calls = Math.max(3, (int) (2e8 / (2.0 * batch * o * c * k * k * h * w)));
                for (int round = -2; round < rounds; round++) {
                    for (int side = 0; side < 2; side++) {
                        CpuConv.forced = side == 0 ? null : CpuConv.Route.STACK;
                        CpuConv.stackForward = side == 1;
                        long t0 = System.nanoTime();
                        for (int i = 0; i < calls; i++) cpu.conv2d(x, wt, b, spec).close();
                        if (round >= 0) t[side][round] = (System.nanoTime() - t0) / 1e3 / calls;
                    }
                }
                CpuConv.forced = null;
                CpuConv.stackForward = true;
                double old = median(t[0]), stack = median(t[1]);
                System.out.printf(Locale.ROOT, "%-26s before (%s) %8.1f us, STACK %8.1f us, ratio %.2fx%n", s[0], before, old, stack, old / stack);
                if (s.length > 8) fused(cpu, x, wt, b, spec, (String) s[8], (String) s[0], rounds, calls);
            }
        }
    }

    /**
     * The training forward's fused call against what it replaces (issue 23): "pool": conv2d (the route before STACK) then
     * reluMaxPool2dArgmax against conv2dReluMaxPool2dArgmax; "relu": conv2d then relu against a one-stage convStack with ReLU.
     */
    private static void fused(CpuBackend cpu, Tensor x, Tensor wt, Tensor b, Conv2dSpec spec, String kind, String name, int rounds, int calls) {
        Pool2dSpec pool = Pool2dSpec.square(2);
        Runnable separate = () -> {
            CpuConv.stackForward = false;
            try (Tensor c = cpu.conv2d(x, wt, b, spec)) {
                if (kind.equals("pool")) {
                    PoolArgmax pa = cpu.reluMaxPool2dArgmax(c, pool);
                    pa.output().close();
                    pa.argmax().close();
                } else {
                    cpu.relu(c).close();
                }
            } finally {
                CpuConv.stackForward = true;
            }
        };
        Runnable together = () -> {
            if (kind.equals("pool")) {
                PoolArgmax pa = cpu.conv2dReluMaxPool2dArgmax(x, wt, b, spec, pool);
                pa.output().close();
                pa.argmax().close();
            } else {
                cpu.convStack(x, List.of(new ConvStage(wt, b, spec, true, null))).close();
            }
        };
        double[][] t = new double[2][rounds];
        for (int round = -2; round < rounds; round++) {
            for (int side = 0; side < 2; side++) {
                Runnable r = side == 0 ? separate : together;
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) r.run();
                if (round >= 0) t[side][round] = (System.nanoTime() - t0) / 1e3 / calls;
            }
        }
        double old = median(t[0]), now = median(t[1]);
        System.out.printf(Locale.ROOT, "%-26s   + relu%s: separate %8.1f us, fused %8.1f us, ratio %.2fx%n", name, kind.equals("pool") ? " + pool" : "", old, now, old / now);
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    private static Tensor random(CpuBackend cpu, Random r, Shape shape) {
        float[] v = new float[shape.numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return cpu.fromFloats(v, shape);
    }
}
