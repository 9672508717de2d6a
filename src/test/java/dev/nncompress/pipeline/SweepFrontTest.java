package dev.nncompress.pipeline;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sweep view's Pareto front and best point on hand-made points whose answers are known. */
class SweepFrontTest {
    static SweepPoint ok(String id, double accuracy, double baseline, long size, double latency) {
        return new SweepPoint(id, "prune.sparsity=" + id, 42, SweepPoint.OK, null, accuracy, baseline, size, latency, 1000.0 / latency, 1.0);
    }

    static SweepPoint failed(String id) {
        return new SweepPoint(id, "model=" + id, 42, SweepPoint.FAILED, id + ": no such file", null, null, null, null, null, 0.5);
    }

    // baseline 92%: a and d tie on all three (drop 2.00), b is smaller (drop 7), c is beaten by b on all three, g by b on latency
    // only, f is the most accurate and fastest but large and measured against a higher baseline (drop 4)
    final SweepPoint a = ok("a", 0.90, 0.92, 100, 1.0);
    final SweepPoint b = ok("b", 0.85, 0.92, 50, 1.0);
    final SweepPoint c = ok("c", 0.80, 0.92, 60, 1.2);
    final SweepPoint d = ok("d", 0.90, 0.92, 100, 1.0);
    final SweepPoint e = failed("e");
    final SweepPoint f = ok("f", 0.95, 0.99, 200, 0.5);
    final SweepPoint g = ok("g", 0.85, 0.92, 50, 2.0);
    final List<SweepPoint> all = List.of(a, b, c, d, e, f, g);

    @Test
    void theFrontIsTheNonDominatedOkPointsWithTiesKeptTogether() {
        assertEquals(List.of(a, b, d, f), SweepFront.front(all));
        assertTrue(SweepFront.dominates(b, g), "equal accuracy and size, lower latency");
        assertFalse(SweepFront.dominates(a, d), "equal on all three: neither dominates");
        assertFalse(SweepFront.dominates(d, a));
        assertFalse(SweepFront.dominates(a, b), "more accurate but larger");
    }

    @Test
    void failedPointsAreNeitherOnTheFrontNorBest() {
        List<SweepPoint> onlyFailed = List.of(failed("x"), failed("y"));
        assertEquals(List.of(), SweepFront.front(onlyFailed));
        assertTrue(SweepFront.best(onlyFailed, 100).isEmpty());
        assertFalse(SweepFront.front(all).contains(e));
        assertEquals(List.of(), SweepFront.front(List.of()));
        assertTrue(SweepFront.best(List.of(), 1).isEmpty());
    }

    @Test
    void theBestPointIsTheSmallestWithinTheBudgetAgainstItsOwnBaseline() {
        // budget 2 points: a and d (drop 2.00, equal up to rounding) are within; b (7) and f (4, against 99%) are not
        assertSame(a, SweepFront.best(all, 2.0).orElseThrow(), "a tie on all three goes to the first point");
        assertTrue(SweepFront.within(a, 2.0));
        assertFalse(SweepFront.within(f, 2.0), "f's drop is against its own baseline");
        // budget 4: f is within, but a is smaller
        assertSame(a, SweepFront.best(all, 4.0).orElseThrow());
        // budget 7: b and g are the smallest (50 bytes, equal accuracy): the faster one
        assertSame(b, SweepFront.best(all, 7.0).orElseThrow());
        // budget 12: c (60 bytes) is within too, but b is still smaller
        assertSame(b, SweepFront.best(all, 12.0).orElseThrow());
        // the smaller of two within budget loses to neither ordering of the list
        assertSame(b, SweepFront.best(List.of(g, a, b), 7.0).orElseThrow());
    }

    @Test
    void noPointWithinTheBudgetGivesNoBest() {
        assertTrue(SweepFront.best(all, 1.0).isEmpty(), "every ok point drops more than 1 point");
        assertTrue(SweepFront.best(List.of(a, e), 0.0).isEmpty());
        SweepPoint better = ok("better", 0.93, 0.92, 500, 9.0);
        assertSame(better, SweepFront.best(List.of(a, better), 0.0).orElseThrow(), "more accurate than its baseline: within a budget of 0");
    }
}
