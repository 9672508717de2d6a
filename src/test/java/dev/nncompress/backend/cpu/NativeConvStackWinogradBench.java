package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvStage;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Not a test: the conv stack with Winograd on and off ({@link NativeConvStack#winograd}), rounds alternating in one
 * run, median wall ms per batch and median process CPU us per image of each side. Shapes: the teacher's whole stack
 * (1 -> 32 -> 64 -> 128, pools after the last two), its conv2 and conv3 alone, and the two 3x3 input-gradient convs
 * a training step runs through the stack (64 -> 32 at 28x28, 128 -> 64 at 14x14).
 * {@code NativeConvStackWinogradBench [batch] [rounds]}, threads as CpuPar sets them.
 */
public final class NativeConvStackWinogradBench {
    private static final CpuBackend CPU = new CpuBackend();

    public static void main(String[] args) {
        if (!NativeConvStack.available()) throw new IllegalStateException("no AVX-512F or no native library");
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 256, rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        Random r = new Random(1);
        Pool2dSpec pool = Pool2dSpec.square(2);
        run("teacher stack", n, rounds, 1, 28, List.of(stage(r, 1, 32, null), stage(r, 32, 64, pool), stage(r, 64, 128, pool)));
        run("teacher conv2 32->64 28x28", n, rounds, 32, 28, List.of(stage(r, 32, 64, null)));
        run("teacher conv3 64->128 14x14", n, rounds, 64, 14, List.of(stage(r, 64, 128, null)));
        run("dx of conv3 128->64 14x14", n, rounds, 128, 14, List.of(stage(r, 128, 64, null)));
        run("dx of conv2 64->32 28x28", n, rounds, 64, 28, List.of(stage(r, 64, 32, null)));
    }

    private static void run(String name, int n, int rounds, int c, int hw, List<ConvStage> stages) {
        float[] v = new float[n * c * hw * hw];
        Random r = new Random(2);
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        double[][] wall = new double[2][rounds], cpu = new double[2][rounds];
        try (Tensor x = CPU.fromFloats(v, Shape.of(n, c, hw, hw))) {
            for (int round = -1; round < rounds; round++) {  // round -1 warms up both sides
                for (int side = 0; side < 2; side++) {
                    NativeConvStack.winograd(side == 1);
                    long c0 = cpuNanos(), t0 = System.nanoTime();
                    int reps = 0;
                    do {
                        try (Tensor y = CPU.convStack(x, stages)) {
                            if (y == null) throw new IllegalStateException(name + ": the stack kernel refused");
                        }
                        reps++;
                    } while (System.nanoTime() - t0 < 1_000_000_000L);
                    if (round >= 0) {
                        wall[side][round] = (System.nanoTime() - t0) / 1e6 / reps;
                        cpu[side][round] = (cpuNanos() - c0) / 1e3 / reps / n;
                    }
                }
            }
        } finally {
            NativeConvStack.winograd(true);
        }
        double directCpu = median(cpu[0]), winogradCpu = median(cpu[1]);
        System.out.printf("%-30s batch %d: direct %.2f ms %.1f CPU us/img, Winograd %.2f ms %.1f CPU us/img: %.2fx CPU, %.2fx wall%n", name, n,
                median(wall[0]), directCpu, median(wall[1]), winogradCpu, directCpu / winogradCpu, median(wall[0]) / median(wall[1]));
        for (ConvStage s : stages) {
            s.weight().close();
            s.bias().close();
        }
    }

    private static ConvStage stage(Random r, int c, int o, Pool2dSpec pool) {
        float[] w = new float[o * c * 9], b = new float[o];
        double a = Math.sqrt(2.0 / (c * 9));
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * a);
        for (int i = 0; i < o; i++) b[i] = (float) (r.nextGaussian() * 0.1);
        return new ConvStage(CPU.fromFloats(w, Shape.of(o, c, 3, 3)), CPU.fromFloats(b, Shape.of(o)), Conv2dSpec.of(1, 1), true, pool);
    }

    private static long cpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
