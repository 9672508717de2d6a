package dev.nncompress.spark;

import dev.nncompress.pipeline.Recipe;
import dev.nncompress.pipeline.RecipeException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The grid's points: cross product in order, seeds innermost, every point validated before anything runs. No Spark. */
class SweepGridTest {
    private static final Recipe RECIPE = Recipe.parse("r.yaml", """
            model: student
            seed: 7
            stages:
              - stage: prune
                sparsity: 0.5
              - stage: quantize
            """);

    @Test
    void theCrossProductInAxisOrderWithSeedsInnermost() {
        List<SweepGrid.Point> p = SweepGrid.points(RECIPE, "prune.sparsity=0.5,0.7; quantize.observer=minmax,kl,mse", 2);
        assertEquals(12, p.size());
        assertEquals("p00", p.get(0).id());
        assertEquals("p11", p.get(11).id());
        assertEquals(Map.of("prune.sparsity", "0.5", "quantize.observer", "minmax", "seed", "7"), p.get(0).overrides());
        assertEquals(Map.of("prune.sparsity", "0.5", "quantize.observer", "minmax", "seed", "8"), p.get(1).overrides());
        assertEquals(8, p.get(1).seed());
        assertEquals(Map.of("prune.sparsity", "0.7", "quantize.observer", "mse", "seed", "8"), p.get(11).overrides());
        assertEquals(List.of("prune.sparsity", "quantize.observer", "seed"), List.copyOf(p.get(11).overrides().keySet()));
        assertEquals(7, SweepGrid.points(RECIPE, "prune.sparsity=0.5", 1).get(0).seed(), "one seed: the recipe's, not overridden");
        assertEquals(Map.of("prune.sparsity", "0.5"), SweepGrid.points(RECIPE, "prune.sparsity=0.5", 1).get(0).overrides());
    }

    @Test
    void aValueTheRecipeRefusesFailsTheSweepBeforeItRuns() {
        RecipeException e = assertThrows(RecipeException.class, () -> SweepGrid.points(RECIPE, "prune.sparsity=0.5,1.5", 1));
        assertEquals("r.yaml: stages[0].sparsity: must be in [0.0, 1.0), got 1.5 (with prune.sparsity=1.5)", e.getMessage());
    }

    @Test
    void malformedGridsAreUsageErrors() {
        for (String[] c : new String[][] {
                {"", "--grid is empty"},
                {"prune.sparsity", "--grid: 'prune.sparsity' is not KEY=V1,V2,..."},
                {"prune.sparsity=0.5,", "--grid: prune.sparsity has an empty value"},
                {"prune.sparsity=0.5;prune.sparsity=0.7", "--grid: prune.sparsity is given twice"},
                {"prune.sparsity=0.5,0.5", "--grid: prune.sparsity lists 0.5 twice"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SweepGrid.points(RECIPE, c[0], 1), c[0]);
            assertTrue(e.getMessage().startsWith(c[1]), e.getMessage());
        }
        assertEquals("--grid varies seed and --seeds 2 too; use one of the two",
                assertThrows(IllegalArgumentException.class, () -> SweepGrid.points(RECIPE, "seed=1,2", 2)).getMessage());
    }
}
