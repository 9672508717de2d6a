package dev.nncompress.train;

import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * {@link Trainer#fit} epochs with the next batch prepared on a background thread ({@link BatchPrefetch}) against
 * preparing it when asked, alternating rounds in one JVM: wall, the training thread's CPU and the process's CPU per
 * image (on a loaded machine the thread CPU is the steady reading). Plain main:
 * {@code ... PrefetchBench [model] [rounds] [examples]}.
 */
public final class PrefetchBench {
    private PrefetchBench() {}

    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "student";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 3200;
        CpuBackend cpu = new CpuBackend();
        Dataset d = FashionMnist.train(FashionMnist.DEFAULT_DIR, n);
        Graph g = Models.byName(model, cpu, 1);
        var tmx = ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        TrainConfig cfg = new TrainConfig(1, 64, new OptimizerConfig.Sgd(0.01f, 0.9f, 5e-4f, false), new LrSchedule.Constant(), 1);
        double[][] sum = new double[2][3];
        for (int r = -1; r < rounds; r++) { // round -1 warms up
            for (int side = 0; side < 2; side++) {
                long w0 = System.nanoTime(), t0 = tmx.getCurrentThreadCpuTime(), p0 = os.getProcessCpuTime();
                new Trainer(cpu, cfg).withPrefetch(side == 0).fit(g, d, null, TrainListener.NONE);
                if (r < 0) continue;
                sum[side][0] += System.nanoTime() - w0;
                sum[side][1] += tmx.getCurrentThreadCpuTime() - t0;
                sum[side][2] += os.getProcessCpuTime() - p0;
            }
        }
        double imgs = (double) rounds * n * 1e3;
        System.out.printf(Locale.ROOT, "%s: prefetch wall %.1f us/img, training thread CPU %.1f, process CPU %.1f | when asked: %.1f, %.1f, %.1f%n",
                model, sum[0][0] / imgs, sum[0][1] / imgs, sum[0][2] / imgs, sum[1][0] / imgs, sum[1][1] / imgs, sum[1][2] / imgs);
    }
}
