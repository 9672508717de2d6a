package dev.nncompress.bench;

import java.util.Arrays;

/**
 * Times one operation: warm-up calls for ~0.5 s (at least one, so that slow baselines stay bounded),
 * then {@code rounds} rounds of as many calls as fill {@code roundSeconds}; the median round decides,
 * so that a single GC pause or page-in does not.
 */
public final class Timing {
    private Timing() {}

    /** Seconds per call: the median round's, and the fastest and slowest rounds'. */
    public record Result(double median, double fastest, double slowest, int rounds) {}

    public static Result secondsPerCall(Runnable op, int rounds, double roundSeconds) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        long t0 = System.nanoTime();
        int warm = 0;
        while (warm < 1 || (System.nanoTime() - t0) < 0.5e9 && warm < 50) {
            op.run();
            warm++;
        }
        double perCall = (System.nanoTime() - t0) / 1e9 / warm;
        int callsPerRound = Math.max(1, (int) (roundSeconds / perCall));
        double[] seconds = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long s = System.nanoTime();
            for (int i = 0; i < callsPerRound; i++) op.run();
            seconds[r] = (System.nanoTime() - s) / 1e9 / callsPerRound;
        }
        Arrays.sort(seconds);
        return new Result(seconds[rounds / 2], seconds[0], seconds[rounds - 1], rounds);
    }
}
