package dev.nncompress.compress.prune;

/** Target sparsity over time for the iterative and gradual schedules. */
public final class SparsitySchedules {
    private SparsitySchedules() {}

    /**
     * Gradual pruning's cubic schedule (Zhu & Gupta 2017, "To prune, or not to prune"):
     * s_t = s_f + (s_i - s_f)(1 - t/T)^3 for 0 <= t <= T, s_f after T. Prunes fast while many redundant weights
     * remain and slowly near the end, where each further weight hurts more.
     */
    public static double cubic(double initial, double target, long step, long rampSteps) {
        MaskSelection.checkSparsity(initial);
        MaskSelection.checkSparsity(target);
        if (initial > target) throw new IllegalArgumentException("initial sparsity " + initial + " is above the target " + target);
        if (rampSteps <= 0) throw new IllegalArgumentException("ramp must be >= 1 step, got " + rampSteps);
        if (step < 0) throw new IllegalArgumentException("step must be >= 0, got " + step);
        if (step >= rampSteps) return target;
        double left = 1 - (double) step / rampSteps;
        return target + (initial - target) * left * left * left;
    }

    /**
     * Per-round targets of iterative pruning to {@code target} in {@code rounds} rounds: each round prunes the same
     * fraction of the weights still left, s_r = 1 - (1 - s_f)^(r/k), r = 1..k; the last is exactly s_f.
     */
    public static double[] iterative(double target, int rounds) {
        MaskSelection.checkSparsity(target);
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        double[] s = new double[rounds];
        for (int r = 1; r <= rounds; r++) s[r - 1] = r == rounds ? target : 1 - Math.pow(1 - target, (double) r / rounds);
        return s;
    }
}
