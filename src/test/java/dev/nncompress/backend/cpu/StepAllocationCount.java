package dev.nncompress.backend.cpu;

import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * What a steady-state training step allocates natively: blocks the CPU tensor pool takes from the C heap
 * ({@link CpuMemory#allocations}), scratch blocks malloc'ed ({@link Scratch#allocations}), and, with
 * {@code -Dmcount.lib=/path/libmcount.so} preloaded (LD_PRELOAD; {@code scripts/mcount.c}, a malloc/calloc/realloc/posix_memalign/mmap
 * counter exporting {@code mcount_all}, {@code mcount_big}, {@code mcount_mmap}), every heap allocation call of the
 * process (the JVM's own included) and those of >= 64 KiB. Counted between steps 20 and 20 + steps of one
 * {@code Trainer.fit} epoch, so the first steps' pool and JIT warm-up stay out. Plain main:
 * {@code ... StepAllocationCount [model] [steps]}.
 */
public final class StepAllocationCount {
    private StepAllocationCount() {}

    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "student";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        int warm = 20;
        CpuBackend cpu = new CpuBackend();
        Graph g = Models.byName(model, cpu, 1);
        int n = (warm + steps) * 64;
        float[] images = new float[n * 28 * 28];
        int[] labels = new int[n];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextDouble();
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(10);
        LongSupplier[] counters = counters();
        boolean[] on = {false};
        String[] names = {"pool blocks", "scratch blocks", "malloc-family calls", "of them >= 64 KiB", "anonymous mmaps"};
        long[][] at = new long[2][counters.length];
        TrainListener snap = new TrainListener() {
            @Override public void stepDone(int step, float meanLoss, double imagesPerSecond) {
                if (step != warm && step != warm + steps) return;
                on[0] = step == warm;
                for (int i = 0; i < counters.length; i++) at[step == warm ? 0 : 1][i] = counters[i] == null ? -1 : counters[i].getAsLong();
                byLibrary(step == warm ? "mcount_reset" : "mcount_dump");
            }
        };
        // with the counter library: which backend calls allocate (>= 64 KiB calls per step, by method)
        java.util.Map<String, long[]> byOp = new java.util.TreeMap<>();
        dev.nncompress.backend.Backend traced = counters[3] == null ? cpu : (dev.nncompress.backend.Backend) java.lang.reflect.Proxy.newProxyInstance(
                dev.nncompress.backend.Backend.class.getClassLoader(), new Class<?>[] {dev.nncompress.backend.Backend.class}, (p, m, a) -> {
                    long big0 = counters[3].getAsLong(), all0 = counters[2].getAsLong();
                    try {
                        return m.invoke(cpu, a);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        if (on[0]) {
                            long[] c = byOp.computeIfAbsent(m.getName(), k -> new long[2]);
                            c[0] += counters[2].getAsLong() - all0;
                            c[1] += counters[3].getAsLong() - big0;
                        }
                    }
                });
        new Trainer(traced, new TrainConfig(1, 64, new OptimizerConfig.Sgd(0.01f, 0.9f, 0, false), new LrSchedule.Constant(), 1))
                .fit(g, new Dataset(images, labels, 1, 28, 28, 10), null, snap);
        System.out.printf(Locale.ROOT, "%s, %d steady steps of batch 64, per step:", model, steps);
        for (int i = 0; i < counters.length; i++) {
            if (counters[i] != null) System.out.printf(Locale.ROOT, "  %s %.2f", names[i], (at[1][i] - at[0][i]) / (double) steps);
        }
        System.out.println();
        byOp.forEach((op, c) -> {
            if (c[0] > 0) System.out.printf(Locale.ROOT, "  %-28s %8.1f calls/step %6.2f >= 64 KiB%n", op, c[0] / (double) steps, c[1] / (double) steps);
        });
    }

    /** -Dmcount.byLib=true: the counter library's calls by calling shared object (reset, then printed to stderr). */
    private static void byLibrary(String fn) {
        if (Boolean.getBoolean("mcount.byLib")) com.sun.jna.NativeLibrary.getInstance(System.getProperty("mcount.lib")).getFunction(fn).invokeVoid(new Object[0]);
    }

    private static LongSupplier[] counters() {
        String lib = System.getProperty("mcount.lib");
        LongSupplier[] c = {CpuMemory::allocations, Scratch::allocations, null, null, null};
        if (lib != null) {
            com.sun.jna.NativeLibrary l = com.sun.jna.NativeLibrary.getInstance(lib);
            String[] fns = {"mcount_all", "mcount_big", "mcount_mmap"};
            for (int i = 0; i < fns.length; i++) {
                com.sun.jna.Function f = l.getFunction(fns[i]);
                c[2 + i] = () -> f.invokeLong(new Object[0]);
            }
        }
        return c;
    }
}
