package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Locale;
import java.util.Random;

/**
 * Depthwise 3x3 convolution on the CPU backend, each line measured side by side in one run (medians of
 * 7 rounds after warm-up, {@link CpuBackendBench#time}): the DEPTHWISE route ({@link CpuDepthwiseConv}, its
 * forward on the native kernel {@link NativeDepthwise}), the same forward on its Java loops,
 * the grouped im2col + sgemm route forced, the same conv as a dense conv whose weight is zero off the
 * diagonal (what a toolkit without groups runs: C times the multiply-adds, oneDNN through libnd4j), and
 * the reference backend (plain double loops, the definition; forward only). Every result is checked
 * against the reference first. Not a JUnit test; run with
 * {@code java -cp target/classes:target/test-classes:<deps> dev.nncompress.backend.cpu.DepthwiseConvBench [quick]}.
 */
public final class DepthwiseConvBench {
    private DepthwiseConvBench() {}

    /**
     * Args: [quick] [all | strided | large] [mobilenet]; by default only the shape (the others' dense baselines
     * take minutes each on 2 cores); mobilenet adds {@link #mobileNetLayers}.
     */
    public static void main(String[] args) {
        java.util.List<String> a = java.util.List.of(args);
        double min = a.contains("quick") ? 0.1 : 0.4;
        boolean all = a.contains("all");
        System.out.println("cpu: " + CpuBackendBench.B.describe());
        if (all || !(a.contains("strided") || a.contains("large"))) run(64, 96, 14, 1, min); // MobileNetV2's 14x14 blocks, the shape
        if (all || a.contains("strided")) run(64, 144, 56, 2, min); // a strided one
        if (all || a.contains("large")) run(64, 32, 112, 1, min);   // the first, largest plane
        if (a.contains("mobilenet")) mobileNetLayers();
    }

    /**
     * The depthwise layers of the MobileNetV2-style fixture at batch 256, forward, the Java loops beside each native
     * variant this CPU runs: median of 7 rounds of the calling thread's CPU time (robust to other processes; complete
     * when run single-threaded: {@code -Dnncompress.cpu.javaThreads=1}).
     */
    static void mobileNetLayers() {
        CpuBackend b = CpuBackendBench.B;
        var clock = java.lang.management.ManagementFactory.getThreadMXBean();
        int n = 256;
        Random rnd = new Random(5);
        System.out.println("MobileNetV2 fixture's depthwise layers, N=" + n + ", forward, thread CPU ms");
        for (int[] l : new int[][] {{16, 14, 1}, {64, 14, 2}, {96, 7, 1}, {96, 7, 2}, {128, 4, 1}, {128, 4, 2}, {256, 2, 1}}) {
            int c = l[0], hw = l[1], s = l[2];
            Tensor x = CpuBackendBench.rand(rnd, n, c, hw, hw), w = CpuBackendBench.rand(rnd, c, 1, 3, 3), bias = CpuBackendBench.rand(rnd, c);
            Conv2dSpec spec = new Conv2dSpec(s, s, 1, 1, 1, 1, 1, 1, c);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "    C=%3d %3dx%-3d stride %d:", c, hw, hw, s));
            int best = NativeDepthwise.variant;
            for (int v = -1; v <= NativeDepthwise.AVX512; v++) {
                if (v >= 0 && (NativeDepthwise.supported() & (1 << v)) == 0) continue;
                NativeDepthwise.variant = v;
                for (int k = 0; k < 5; k++) b.conv2d(x, w, bias, spec).close();
                double[] t = new double[7];
                for (int k = 0; k < t.length; k++) {
                    long c0 = clock.getCurrentThreadCpuTime();
                    for (int it = 0; it < 5; it++) b.conv2d(x, w, bias, spec).close();
                    t[k] = (clock.getCurrentThreadCpuTime() - c0) / 5e6;
                }
                java.util.Arrays.sort(t);
                line.append(String.format(Locale.ROOT, "  %s %6.2f", v < 0 ? "java" : v == NativeDepthwise.SCALAR ? "scalar" : v == NativeDepthwise.AVX2 ? "avx2" : "avx512", t[3]));
            }
            NativeDepthwise.variant = best;
            System.out.println(line);
            x.close();
            w.close();
            bias.close();
        }
    }

    static void run(int n, int c, int hw, int stride, double min) {
        CpuBackend b = CpuBackendBench.B;
        Random rnd = new Random(3);
        Conv2dSpec dw = new Conv2dSpec(stride, stride, 1, 1, 1, 1, 1, 1, c);
        Conv2dSpec dense = Conv2dSpec.of(stride, 1);
        Tensor x = CpuBackendBench.rand(rnd, n, c, hw, hw);
        Tensor w = CpuBackendBench.rand(rnd, c, 1, 3, 3);
        Tensor bias = CpuBackendBench.rand(rnd, c);
        float[] wv = w.toFloatArray();
        float[] diag = new float[c * c * 9];
        for (int o = 0; o < c; o++) System.arraycopy(wv, o * 9, diag, (o * c + o) * 9, 9);
        Tensor wDense = b.fromFloats(diag, Shape.of(c, c, 3, 3));
        int out = (hw + 2 - 3) / stride + 1;
        Tensor gy = CpuBackendBench.rand(rnd, n, c, out, out);

        ReferenceBackend ref = new ReferenceBackend();
        Tensor rx = ref.fromFloats(x.toFloatArray(), x.shape()), rw = ref.fromFloats(wv, w.shape()), rb = ref.fromFloats(bias.toFloatArray(), bias.shape());
        float[] want = ref.conv2d(rx, rw, rb, dw).toFloatArray();
        String label = String.format(Locale.ROOT, "depthwise 3x3 N=%d C=%d %dx%d stride %d", n, c, hw, hw, stride);
        System.out.println(label);

        CpuConv.forced = CpuConv.Route.DEPTHWISE;
        check("depthwise route", want, b.conv2d(x, w, bias, dw).toFloatArray());
        double tDw = CpuBackendBench.time(() -> b.conv2d(x, w, bias, dw).close(), min);
        double tDwBwd = CpuBackendBench.time(() -> close(b.conv2dBackward(x, w, gy, dw, true, true)), min);
        int nativeVariant = NativeDepthwise.variant;
        NativeDepthwise.variant = -1; // the forward's Java loops (the native kernel's twin)
        check("depthwise route, Java loops", want, b.conv2d(x, w, bias, dw).toFloatArray());
        double tJava = CpuBackendBench.time(() -> b.conv2d(x, w, bias, dw).close(), min);
        NativeDepthwise.variant = nativeVariant;
        CpuConv.forced = CpuConv.Route.IM2COL;
        check("grouped im2col route", want, b.conv2d(x, w, bias, dw).toFloatArray());
        double tGemm = CpuBackendBench.time(() -> b.conv2d(x, w, bias, dw).close(), min);
        double tGemmBwd = CpuBackendBench.time(() -> close(b.conv2dBackward(x, w, gy, dw, true, true)), min);
        CpuConv.forced = null;
        check("dense conv with zeros", want, b.conv2d(x, wDense, bias, dense).toFloatArray());
        double tDense = CpuBackendBench.time(() -> b.conv2d(x, wDense, bias, dense).close(), min);
        double tDenseBwd = CpuBackendBench.time(() -> close(b.conv2dBackward(x, wDense, gy, dense, true, true)), min);
        double tRef = CpuBackendBench.time(() -> ref.conv2d(rx, rw, rb, dw).close(), Math.min(min, 0.2));
        double gflop = 2.0 * n * c * 9 * out * out / 1e9;
        System.out.printf(Locale.ROOT, "    %-22s fwd %8.2f ms (%5.1f useful GF/s)   bwd %8.2f ms%n", "depthwise route", 1e3 * tDw, gflop / tDw, 1e3 * tDwBwd);
        System.out.printf(Locale.ROOT, "    %-22s fwd %8.2f ms (%5.2fx the depthwise route; native variant %d)%n", "depthwise Java loops", 1e3 * tJava,
                tJava / tDw, nativeVariant);
        System.out.printf(Locale.ROOT, "    %-22s fwd %8.2f ms (%5.2fx the depthwise route)   bwd %8.2f ms (%5.2fx)%n", "grouped im2col+sgemm",
                1e3 * tGemm, tGemm / tDw, 1e3 * tGemmBwd, tGemmBwd / tDwBwd);
        System.out.printf(Locale.ROOT, "    %-22s fwd %8.2f ms (%5.2fx)   bwd %8.2f ms (%5.2fx)%n", "dense conv with zeros", 1e3 * tDense, tDense / tDw,
                1e3 * tDenseBwd, tDenseBwd / tDwBwd);
        System.out.printf(Locale.ROOT, "    %-22s fwd %8.2f ms (%5.2fx)%n", "reference backend", 1e3 * tRef, tRef / tDw);
    }

    private static void check(String what, float[] want, float[] got) {
        double mag = 0, err = 0;
        for (float v : want) mag = Math.max(mag, Math.abs(v));
        for (int i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
        if (err > 1e-4 * mag) throw new AssertionError(what + ": max error " + err + " against the reference (max |y| " + mag + ")");
    }

    private static void close(Conv2dGrads g) {
        if (g.input() != null) g.input().close();
        g.weight().close();
        if (g.bias() != null) g.bias().close();
    }
}
