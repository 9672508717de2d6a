package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ref.RefActivations;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * {@link FastActivations} against the reference's per-element definitions (what the CPU backend ran before), on the same
 * 1M floats, in alternating rounds (so that load changes hit both); medians of each and of the per-pair ratios. One
 * thread, heap arrays: the loops themselves. Not a JUnit test:
 * {@code java -cp target/classes:target/test-classes dev.nncompress.backend.cpu.FastActivationsBench}.
 */
public final class FastActivationsBench {
    private FastActivationsBench() {}

    public static void main(String[] args) {
        float[] x = new float[1 << 20];
        Random rnd = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 3);
        float[] v = new float[x.length];
        int rounds = 9;
        for (String kind : new String[] {"sigmoid", "tanh"}) {
            boolean sig = kind.equals("sigmoid");
            Runnable exact = () -> {
                System.arraycopy(x, 0, v, 0, x.length);
                for (int i = 0; i < v.length; i++) v[i] = sig ? RefActivations.sigmoid(v[i]) : RefActivations.tanh(v[i]);
            };
            Runnable fast = () -> {
                System.arraycopy(x, 0, v, 0, x.length);
                if (sig) FastActivations.sigmoid(v, v.length); else FastActivations.tanh(v, v.length);
            };
            for (int w = 0; w < 20; w++) { exact.run(); fast.run(); } // JIT warm-up
            double[] e = new double[rounds], f = new double[rounds], r = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                e[i] = ms(exact);
                f[i] = ms(fast);
                r[i] = e[i] / f[i];
            }
            System.out.printf(Locale.ROOT, "%-7s 1M floats: reference definition %.2f ms, rational %.2f ms, speedup %.1fx (median of %d pairs)%n", kind,
                    median(e), median(f), median(r), rounds);
        }
    }

    private static double ms(Runnable r) {
        long t = System.nanoTime();
        for (int i = 0; i < 5; i++) r.run();
        return (System.nanoTime() - t) / 5e6;
    }

    private static double median(double[] a) {
        double[] c = a.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
