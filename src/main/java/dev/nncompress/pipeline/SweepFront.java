package dev.nncompress.pipeline;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The sweep view's two choices over a sweep's points, failed points never among them (they have no metrics):
 * <ul>
 *   <li>the <b>Pareto front</b> on three objectives, higher accuracy, smaller file, lower latency: the points no other
 *       point dominates (at least as good on all three and better on one). Points equal on all three dominate neither
 *       other and are on the front together;</li>
 *   <li>the <b>best point within the budget</b>: among the points whose accuracy drop against their own baseline is at
 *       most the budget ({@code max_accuracy_drop} points), the one with the smallest file; ties go to the higher
 *       accuracy, then the lower latency, then the first point. Each point's drop is against its own baseline (a
 *       seed axis trains a different baseline per point), so the best point need not be on the front.</li>
 * </ul>
 * Pure: no I/O, so the tests give hand-made points with a known answer.
 */
public final class SweepFront {
    /** Drops are differences of accuracies read back from JSON: a drop equal to the budget up to rounding is within it. */
    static final double BUDGET_SLACK = 1e-9;

    private SweepFront() {}

    /** The non-dominated ok points, in the order given. */
    public static List<SweepPoint> front(List<SweepPoint> points) {
        List<SweepPoint> ok = points.stream().filter(SweepPoint::ok).toList();
        List<SweepPoint> front = new ArrayList<>();
        for (SweepPoint p : ok) {
            boolean dominated = false;
            for (SweepPoint q : ok) {
                if (q != p && dominates(q, p)) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) front.add(p);
        }
        return front;
    }

    /** {@code a} is at least as good as {@code b} on accuracy, size and latency, and better on one. */
    static boolean dominates(SweepPoint a, SweepPoint b) {
        boolean noWorse = a.accuracy() >= b.accuracy() && a.sizeBytes() <= b.sizeBytes() && a.latencyMs() <= b.latencyMs();
        boolean better = a.accuracy() > b.accuracy() || a.sizeBytes() < b.sizeBytes() || a.latencyMs() < b.latencyMs();
        return noWorse && better;
    }

    /** The smallest ok point whose drop is within {@code maxDropPoints}; empty when none is (or no point ran). */
    public static Optional<SweepPoint> best(List<SweepPoint> points, double maxDropPoints) {
        return points.stream().filter(SweepPoint::ok).filter(p -> within(p, maxDropPoints))
                .min(Comparator.comparingLong(SweepPoint::sizeBytes).thenComparing(SweepPoint::accuracy, Comparator.reverseOrder())
                        .thenComparingDouble(SweepPoint::latencyMs)); // min of a stream keeps the first of equals
    }

    public static boolean within(SweepPoint p, double maxDropPoints) { return p.ok() && p.dropPoints() <= maxDropPoints + BUDGET_SLACK; }
}
