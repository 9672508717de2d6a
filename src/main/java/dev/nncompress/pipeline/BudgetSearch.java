package dev.nncompress.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;
import java.util.function.Function;

/**
 * The accuracy budget's two searches (INC's tolerable-loss tuning, NNCF's accuracy control), kept apart from the
 * stages that run them so that their logic is tested on its own: quantization returns the most sensitive layers to
 * float one at a time until the accuracy is back within budget; pruning bisects the sparsity between 0 (assumed
 * within budget) and the recipe's (over budget), keeping the highest sparsity tried that is within.
 */
final class BudgetSearch {
    private BudgetSearch() {}

    /** One attempt: what was tried, the accuracy it gave, whether that is within budget. */
    record Try(String what, double accuracy, boolean within) {
        String line(double reference) {
            return String.format(Locale.ROOT, "budget: %s: %.2f%% (%+.2f points vs reference %.2f%%), %s", what, 100 * accuracy,
                    100 * (accuracy - reference), 100 * reference, within ? "within budget" : "over budget");
        }
    }

    /** What a search settled on: the index of the kept attempt in {@code tries} (-1: none was within budget). */
    record Result<T>(List<Try> tries, T kept, int keptIndex) {
        boolean met() { return keptIndex >= 0; }
    }

    /**
     * Layers back to float, most sensitive first ({@code bySensitivity}), one more per attempt, until
     * {@code accuracyWithFloat} of the layers so far is at least {@code minAccuracy}. Kept: the first such set,
     * or all of them when none is (the report says the budget was not met).
     */
    static Result<List<String>> floatFallback(List<String> bySensitivity, Function<List<String>, Double> accuracyWithFloat, double minAccuracy) {
        List<Try> tries = new ArrayList<>();
        List<String> inFloat = new ArrayList<>();
        for (String layer : bySensitivity) {
            inFloat.add(layer);
            double acc = accuracyWithFloat.apply(List.copyOf(inFloat));
            boolean ok = acc >= minAccuracy;
            tries.add(new Try("layers in float " + inFloat, acc, ok));
            if (ok) return new Result<>(tries, List.copyOf(inFloat), tries.size() - 1);
        }
        return new Result<>(tries, List.copyOf(inFloat), -1);
    }

    /**
     * Sparsity bisection in (0, {@code over}) for {@code steps} attempts: within budget moves the lower end up (and
     * is kept when it is the highest so far), over budget moves the upper end down. Kept: the highest sparsity within
     * budget, or none (-1) when every attempt was over.
     */
    static Result<Double> bisect(double over, int steps, DoubleFunction<Double> accuracyAt, double minAccuracy) {
        List<Try> tries = new ArrayList<>();
        double lo = 0, hi = over;
        Double kept = null;
        int keptIndex = -1;
        for (int i = 0; i < steps; i++) {
            double s = (lo + hi) / 2;
            double acc = accuracyAt.apply(s);
            boolean ok = acc >= minAccuracy;
            tries.add(new Try(String.format(Locale.ROOT, "sparsity %.4f", s), acc, ok));
            if (ok) {
                lo = s;
                kept = s;
                keptIndex = tries.size() - 1;
            } else {
                hi = s;
            }
        }
        return new Result<>(tries, kept, keptIndex);
    }
}
