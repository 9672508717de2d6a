package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.Random;

/**
 * Timings of the CPU backend's routes against their alternatives, each pair measured in the same run
 * (medians of 7 rounds after warm-up). Not a JUnit test; run with
 * {@code java -cp target/classes:target/test-classes:<deps> dev.nncompress.backend.cpu.CpuBackendBench [quick]}.
 * Whole training steps are in {@link CpuTrainBench}.
 */
public final class CpuBackendBench {
    static final CpuBackend B = new CpuBackend();

    private CpuBackendBench() {}

    /**
     * Median seconds per call of r over 7 rounds of at least minSeconds each. This machine's cores are
     * shared with other jobs: a round during which other processes took more than 15% of the CPU time
     * is thrown away and run again (up to 40 tries), since on 2 cores any other runnable thread turns
     * a native barrier into a scheduler-tick wait.
     */
    static double time(Runnable r, double minSeconds) {
        long w0 = System.nanoTime();
        while (System.nanoTime() - w0 < minSeconds * 1e9) r.run();
        double[] t = new double[7];
        int tries = 0;
        for (int k = 0; k < t.length; k++) {
            long[] before = SystemLoad.sample();
            long t0 = System.nanoTime();
            int it = 0;
            do {
                r.run();
                it++;
            } while (System.nanoTime() - t0 < minSeconds * 1e9);
            t[k] = (System.nanoTime() - t0) / 1e9 / it;
            double other = SystemLoad.othersShare(before, SystemLoad.sample());
            if (other > 0.15 && ++tries < 40) {
                k--;
                SystemLoad.noteBusy(other);
            }
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    static Tensor rand(Random rnd, int... dims) {
        Shape s = Shape.of(dims);
        float[] d = new float[s.numel()];
        for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
        return B.fromFloats(d, s);
    }

    static void conv(String label, int n, int c, int o, int hw, double minSeconds) {
        Random rnd = new Random(1);
        Conv2dSpec spec = Conv2dSpec.of(1, 1);
        Tensor x = rand(rnd, n, c, hw, hw);
        Tensor w = rand(rnd, o, c, 3, 3);
        Tensor bias = rand(rnd, o);
        Tensor gy = rand(rnd, n, o, hw, hw);
        double flops = 2.0 * n * o * c * 9 * hw * hw;
        StringBuilder line = new StringBuilder(String.format("%-28s", label + " N=" + n + " " + c + "->" + o + " " + hw + "x" + hw));
        ConvGeometry geometry = new ConvGeometry(n, c, hw, hw, o, 3, 3, hw, hw, spec);
        CpuConv.Route auto = CpuConv.route(geometry, false, false);
        for (CpuConv.Route route : CpuConv.Route.values()) {
            if (route == CpuConv.Route.DIRECT && !DirectConv.suits(geometry)) continue;
            if (route == CpuConv.Route.DEPTHWISE && !geometry.depthwise()) continue; // DepthwiseConvBench measures it
            if (route == CpuConv.Route.POINTWISE && !PointwiseConv.suits(geometry)) continue; // MobileNetWidthBench measures it
            CpuConv.forced = route;
            double f = time(() -> B.conv2d(x, w, bias, spec).close(), minSeconds);
            double bw = time(() -> close(B.conv2dBackward(x, w, gy, spec, true, true)), minSeconds);
            double bwNoDx = time(() -> close(B.conv2dBackward(x, w, gy, spec, true, false)), minSeconds);
            line.append(String.format("%n    %-7s fwd %7.2f ms %6.1f GF/s, bwd %7.2f ms %6.1f GF/s, bwd-no-dx %7.2f ms", route,
                    f * 1e3, flops / f / 1e9, bw * 1e3, 2 * flops / bw / 1e9, bwNoDx * 1e3));
        }
        CpuConv.forced = null;
        System.out.println(line.append(" | auto: fwd ").append(auto).append(", bwd ")
                .append(CpuConv.route(geometry, true, true)).append(", bwd-no-dx ").append(CpuConv.route(geometry, true, false)));
    }

    static void close(Conv2dGrads g) {
        if (g.input() != null) g.input().close();
        g.weight().close();
        if (g.bias() != null) g.bias().close();
    }

    static void pool(int n, int c, int hw, double minSeconds) {
        Random rnd = new Random(2);
        Pool2dSpec spec = Pool2dSpec.square(2);
        Tensor x = B.relu(rand(rnd, n, c, hw, hw)); // relu output: many ties at 0
        Tensor gy = rand(rnd, n, c, hw / 2, hw / 2);
        INDArray xa = CpuBackend.array(x);
        INDArray ga = CpuBackend.array(gy);
        INDArray out = Nd4j.create(ga.dataType(), ga.shape());
        INDArray dx = Nd4j.create(xa.dataType(), xa.shape());
        double jf = time(() -> B.maxPool2d(x, spec).close(), minSeconds);
        double jb = time(() -> B.maxPool2dBackward(x, gy, spec).close(), minSeconds);
        double nf = time(() -> CpuPool.nativeMax(xa, null, out, spec), minSeconds);
        double nb = time(() -> CpuPool.nativeMax(xa, ga, dx, spec), minSeconds);
        double ja = time(() -> B.avgPool2d(x, spec).close(), minSeconds);
        double na = time(() -> CpuPool.nativeAvg(xa, null, out, spec), minSeconds);
        System.out.printf("maxpool2 [%d,%d,%d,%d]: java fwd %.3f ms bwd %.3f ms | libnd4j fwd %.3f ms bwd %.3f ms | avg java %.3f ms libnd4j %.3f ms%n",
                n, c, hw, hw, jf * 1e3, jb * 1e3, nf * 1e3, nb * 1e3, ja * 1e3, na * 1e3);
    }

    static void elementwise(int n, double minSeconds) {
        Random rnd = new Random(3);
        Tensor a = rand(rnd, n);
        Tensor b = rand(rnd, n);
        Tensor y = B.relu(a);
        INDArray aa = CpuBackend.array(a);
        INDArray out = Nd4j.create(aa.dataType(), aa.shape());
        double jr = time(() -> B.relu(a).close(), minSeconds);
        double jrb = time(() -> B.reluBackward(y, b).close(), minSeconds);
        double jadd = time(() -> B.addInPlace(b, a), minSeconds);
        double nr = time(() -> NativeOps.exec("relu", new INDArray[] {aa}, new INDArray[] {out}, new long[0], new double[] {0.0}), minSeconds);
        double alloc = time(() -> B.zeros(Shape.of(n)).close(), minSeconds);
        System.out.printf("elementwise n=%d: java relu %.1f us, reluBackward %.1f us, addInPlace %.1f us | libnd4j relu %.1f us | zeros+close %.1f us%n",
                n, jr * 1e6, jrb * 1e6, jadd * 1e6, nr * 1e6, alloc * 1e6);
    }

    static void matmul(int m, int k, int n, double minSeconds) {
        Random rnd = new Random(4);
        Tensor a = rand(rnd, m, k);
        Tensor b = rand(rnd, k, n);
        INDArray aa = CpuBackend.array(a);
        INDArray ba = CpuBackend.array(b);
        INDArray c = Nd4j.create(aa.dataType(), m, n);
        double ours = time(() -> B.matmul(a, false, b, false).close(), minSeconds);
        double nd4j = time(() -> Nd4j.gemm(aa, ba, c, false, false, 1.0, 0.0), minSeconds);
        double fl = 2.0 * m * k * n;
        System.out.printf("matmul %dx%dx%d: cblas direct %.1f us %.1f GF/s | Nd4j.gemm %.1f us %.1f GF/s%n", m, k, n,
                ours * 1e6, fl / ours / 1e9, nd4j * 1e6, fl / nd4j / 1e9);
    }

    public static void main(String[] args) {
        boolean quick = args.length > 0 && args[0].equals("quick");
        if (args.length > 0 && args[0].equals("elementwise")) {
            for (int n : new int[] {65536, 600_000, 1 << 20}) elementwise(n, 0.2);
            return;
        }
        if (args.length > 0 && args[0].equals("student")) {
            conv("student conv1", 64, 1, 8, 28, 0.2);
            conv("student conv2", 64, 8, 16, 14, 0.2);
            pool(64, 8, 28, 0.2);
            return;
        }
        double t = quick ? 0.1 : 0.4;
        System.out.println("cpu backend: " + B.describe());
        SystemLoad.waitForIdle(60);
        conv("teacher conv2", 64, 32, 64, 28, t);
        if (!quick) {
            conv("teacher conv1", 64, 1, 32, 28, t);
            conv("teacher conv3", 64, 64, 128, 14, t);
            conv("student conv1", 64, 1, 8, 28, t);
            conv("student conv2", 64, 8, 16, 14, t);
            conv("inference conv2", 256, 32, 64, 28, t);
        }
        pool(64, 64, 28, t);
        pool(64, 8, 28, t);
        for (int n : new int[] {4096, 65536, 1 << 20, 3 << 20}) elementwise(n, t);
        matmul(64, 6272, 256, t);
        matmul(64, 784, 64, t);
        matmul(64, 64, 10, t);
        SystemLoad.report();
    }
}
