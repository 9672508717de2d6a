package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Kernels.PackedS8;
import dev.nncompress.backend.Pool2dSpec;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Not a test: the int8 teacher's kernel calls at batch 256 (as Int8Runner makes them), each timed by the calling
 * thread's CPU time at one thread, so that the split stays readable on a machine loaded by other processes (wall
 * time there is mostly waiting). Prints CPU ms per batch per step (median of rounds) and the convs' GMAC/s.
 * {@code TeacherInt8KernelsProfile [variant] [rounds] [batch]}.
 */
public final class TeacherInt8KernelsProfile {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        NativeInt8Kernels k = NativeInt8Kernels.of(NativeInt8Kernels.Variant.parse(args.length > 0 ? args[0] : "avx512vnni"), 1);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        SplittableRandom rnd = new SplittableRandom(1);
        float[] images = new float[n * 784];
        for (int i = 0; i < images.length; i++) images[i] = (float) rnd.nextGaussian();
        byte[] q = new byte[n * 784];
        ConvGeometry g1 = geometry(n, 1, 28, 32), g2 = geometry(n, 32, 28, 64), g3 = geometry(n, 64, 14, 128);
        PackedS8 w1 = packed(k, g1.o(), g1.ckk(), rnd), w2 = packed(k, g2.o(), g2.ckk(), rnd), w3 = packed(k, g3.o(), g3.ckk(), rnd);
        PackedS8 f1 = packed(k, 256, 6272, rnd), f2 = packed(k, 10, 256, rnd);
        byte[] y1 = new byte[n * 784 * 32], y2 = new byte[n * 784 * 64], p1 = new byte[n * 196 * 64], y3 = new byte[n * 196 * 128];
        byte[] p2 = new byte[n * 49 * 128], flat = new byte[n * 6272], h = new byte[n * 256];
        float[] logits = new float[n * 10];
        Map<String, Runnable> steps = new LinkedHashMap<>();
        steps.put("input", () -> k.quantizeToNhwc(images, n, 1, 784, 0.02f, -3, q));
        steps.put("conv1", () -> k.conv(q, g1, (byte) -3, w1, epilogue(w1, 32, true), GemmS8Output.ofS8(y1)));
        steps.put("conv2", () -> k.conv(y1, g2, (byte) -128, w2, epilogue(w2, 64, true), GemmS8Output.ofS8(y2)));
        steps.put("pool1", () -> k.maxPool(y2, n, 28, 28, 64, Pool2dSpec.square(2), p1));
        steps.put("conv3", () -> k.conv(p1, g3, (byte) -128, w3, epilogue(w3, 128, true), GemmS8Output.ofS8(y3)));
        steps.put("pool2", () -> k.maxPool(y3, n, 14, 14, 128, Pool2dSpec.square(2), p2));
        steps.put("flatten", () -> k.nhwcToNchw(p2, n, 49, 128, flat));
        steps.put("fc1", () -> k.gemm(flat, n, f1, epilogue(f1, 256, true), GemmS8Output.ofS8(h)));
        steps.put("fc2", () -> k.gemm(h, n, f2, GemmS8Epilogue.f32(scales(10), null, false).withActivationZeroPoint(-128, f2.rowSums()),
                GemmS8Output.ofF32(logits)));
        Map<String, double[]> ms = new LinkedHashMap<>();
        steps.forEach((name, s) -> ms.put(name, new double[rounds]));
        for (int r = -2; r < rounds; r++) { // two rounds of warm-up
            for (Map.Entry<String, Runnable> e : steps.entrySet()) {
                long t0 = CPU.getCurrentThreadCpuTime();
                int reps = 3;
                for (int i = 0; i < reps; i++) e.getValue().run();
                if (r >= 0) ms.get(e.getKey())[r] = (CPU.getCurrentThreadCpuTime() - t0) / 1e6 / reps;
            }
        }
        Map<String, Double> macs = Map.of("conv1", (double) n * 784 * 32 * 9, "conv2", (double) n * 784 * 64 * 288,
                "conv3", (double) n * 196 * 128 * 576, "fc1", (double) n * 256 * 6272, "fc2", (double) n * 10 * 256);
        double total = 0;
        System.out.printf("%s, 1 thread, batch %d, CPU ms per batch (median of %d rounds)%n", k.name(), n, rounds);
        for (Map.Entry<String, double[]> e : ms.entrySet()) {
            double[] v = e.getValue().clone();
            Arrays.sort(v);
            double m = v[v.length / 2];
            total += m;
            Double mac = macs.get(e.getKey());
            System.out.printf("  %-8s %8.2f ms%s%n", e.getKey(), m, mac == null ? "" : String.format("  %6.1f GMAC/s", mac / m / 1e6));
        }
        System.out.printf("  total    %8.2f ms = %.1f us/img (%.0f img/s per core)%n", total, total * 1e3 / n, n / total * 1e3);
    }

    private static ConvGeometry geometry(int n, int c, int hw, int o) {
        return new ConvGeometry(n, c, hw, hw, o, 3, 3, hw, hw, Conv2dSpec.of(1, 1));
    }

    private static PackedS8 packed(NativeInt8Kernels k, int o, int kk, SplittableRandom rnd) {
        byte[] w = new byte[o * kk];
        for (int i = 0; i < w.length; i++) w[i] = (byte) rnd.nextInt(-127, 128);
        return k.pack(w, o, kk);
    }

    private static float[] scales(int o) {
        float[] s = new float[o];
        Arrays.fill(s, 1e-4f);
        return s;
    }

    private static GemmS8Epilogue epilogue(PackedS8 w, int o, boolean relu) {
        return GemmS8Epilogue.s8(scales(o), null, relu, 0.05f, -128).withActivationZeroPoint(-128, w.rowSums());
    }
}
