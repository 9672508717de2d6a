package dev.nncompress.bench;

import dev.nncompress.util.ProgressListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
        return interleaved(List.of(op), rounds, roundSeconds).get(0);
    }

    /** As {@link #secondsPerCall(Runnable, int, double)}, reporting the rounds as a task named {@code name}. */
    public static Result secondsPerCall(Runnable op, int rounds, double roundSeconds, ProgressListener progress, String name) {
        return interleaved(List.of(op), rounds, roundSeconds, progress, name).get(0);
    }

    /**
     * Several operations measured side by side: each warmed up, then every round times each operation in
     * turn, so that load from other processes falls on all of them alike and their ratios stay fair.
     */
    public static List<Result> interleaved(List<? extends Runnable> ops, int rounds, double roundSeconds) {
        return interleaved(ops, rounds, roundSeconds, ProgressListener.NONE, "rounds");
    }

    /** As {@link #interleaved(List, int, double)}, reporting a task of {@code rounds} steps (after the warm-up) named {@code name}. */
    public static List<Result> interleaved(List<? extends Runnable> ops, int rounds, double roundSeconds, ProgressListener progress, String name) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        int[] callsPerRound = new int[ops.size()];
        for (int o = 0; o < ops.size(); o++) {
            Runnable op = ops.get(o);
            long t0 = System.nanoTime();
            int warm = 0;
            while (warm < 1 || (System.nanoTime() - t0) < 0.5e9 && warm < 50) {
                op.run();
                warm++;
            }
            double perCall = (System.nanoTime() - t0) / 1e9 / warm;
            callsPerRound[o] = Math.max(1, (int) (roundSeconds / perCall));
        }
        double[][] seconds = new double[ops.size()][rounds];
        try (ProgressListener.Task task = progress.start(name, rounds, "rounds")) {
            for (int r = 0; r < rounds; r++) {
                for (int o = 0; o < ops.size(); o++) {
                    long s = System.nanoTime();
                    for (int i = 0; i < callsPerRound[o]; i++) ops.get(o).run();
                    seconds[o][r] = (System.nanoTime() - s) / 1e9 / callsPerRound[o];
                }
                task.update(r + 1);
            }
        }
        List<Result> out = new ArrayList<>();
        for (double[] sec : seconds) {
            Arrays.sort(sec);
            out.add(new Result(sec[rounds / 2], sec[0], sec[rounds - 1], rounds));
        }
        return out;
    }
}
