package dev.nncompress.pipeline;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The accuracy budget's searches on made-up accuracy functions: which attempts, in which order, and what is kept. */
class BudgetSearchTest {
    @Test
    void layersGoBackToFloatMostSensitiveFirstUntilWithinBudget() {
        // each layer in float gives back its share of the lost accuracy
        Map<String, Double> gain = Map.of("fc1", 0.03, "conv2", 0.01, "conv1", 0.005);
        List<List<String>> asked = new ArrayList<>();
        var r = BudgetSearch.floatFallback(List.of("fc1", "conv2", "conv1"), inFloat -> {
            asked.add(inFloat);
            return 0.80 + inFloat.stream().mapToDouble(gain::get).sum();
        }, 0.835);
        assertEquals(List.of(List.of("fc1"), List.of("fc1", "conv2")), asked);
        assertTrue(r.met());
        assertEquals(List.of("fc1", "conv2"), r.kept());
        assertEquals(2, r.tries().size());
        assertFalse(r.tries().get(0).within());
        assertTrue(r.tries().get(1).within());
        assertEquals(1, r.keptIndex());
    }

    @Test
    void whenNoSetIsWithinBudgetEveryLayerEndsInFloatAndTheBudgetIsNotMet() {
        var r = BudgetSearch.floatFallback(List.of("a", "b"), inFloat -> 0.5, 0.9);
        assertFalse(r.met());
        assertEquals(List.of("a", "b"), r.kept());
        assertEquals(2, r.tries().size());
    }

    @Test
    void bisectionKeepsTheHighestSparsityWithinBudget() {
        // accuracy falls off past 0.6 sparsity; the recipe asked for 0.9
        List<Double> asked = new ArrayList<>();
        var r = BudgetSearch.bisect(0.9, 4, s -> {
            asked.add(s);
            return s <= 0.6 ? 0.85 : 0.50;
        }, 0.84);
        assertEquals(List.of(0.45, 0.675, 0.5625, 0.61875), asked);
        assertTrue(r.met());
        assertEquals(0.5625, r.kept());
        assertEquals(2, r.keptIndex());
        assertTrue(r.tries().get(0).line(0.86).contains("sparsity 0.4500: 85.00% (-1.00 points vs reference 86.00%), within budget"),
                r.tries().get(0).line(0.86));
    }

    @Test
    void bisectionWithNothingWithinBudgetKeepsNothing() {
        var r = BudgetSearch.bisect(0.8, 3, s -> 0.1, 0.5);
        assertFalse(r.met());
        assertEquals(null, r.kept());
        assertEquals(3, r.tries().size());
        assertEquals("sparsity 0.1000", r.tries().get(2).what());
    }
}
