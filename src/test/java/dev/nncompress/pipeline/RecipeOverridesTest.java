package dev.nncompress.pipeline;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Overrides of a parsed recipe (a sweep's grid points): set in the tree, then validated as the file would be. Milliseconds. */
class RecipeOverridesTest {
    private static final String RECIPE = """
            model: student   # a comment the override drops
            seed: 7
            data: {train_limit: 100, test_limit: 50}
            stages:
              - stage: train
                epochs: 2
              - stage: prune
                sparsity: 0.5
              - stage: quantize
                observer: minmax
            """;
    private static final Recipe BASE = Recipe.parse("r.yaml", RECIPE);

    private static Map<String, String> of(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void stageKeysTopLevelKeysAndNestedKeysAreSetAndTheRestIsKept() {
        Recipe r = RecipeOverrides.apply(BASE, of("prune.sparsity", "0.7", "quantize.observer", "kl", "seed", "43", "data.test_limit", "20",
                "stages[0].lr", "0.05"));
        assertEquals(0.7, ((Number) r.stages().get(1).settings().get("sparsity")).doubleValue());
        assertEquals("kl", r.stages().get(2).settings().get("observer"));
        assertEquals(43, r.seed());
        assertEquals(20, r.testLimit());
        assertEquals(100, r.trainLimit(), "keys not overridden keep the recipe's value");
        assertEquals(0.05, ((Number) r.stages().get(0).settings().get("lr")).doubleValue());
        assertEquals(2, ((Number) r.stages().get(0).settings().get("epochs")).intValue());
        assertTrue(r.text().startsWith("# r.yaml with prune.sparsity=0.7, quantize.observer=kl, seed=43"), r.text());
        assertNotEquals(BASE.sha256(), r.sha256(), "the text that ran is the one hashed and kept in provenance");
        assertEquals(r, Recipe.parse("r.yaml", r.text()), "the written text parses back to the same recipe");
    }

    @Test
    void noOverridesIsTheRecipeItself() {
        assertSame(BASE, RecipeOverrides.apply(BASE, Map.of()));
    }

    @Test
    void aValueIsValidatedAsInTheFile() {
        RecipeException e = assertThrows(RecipeException.class, () -> RecipeOverrides.apply(BASE, of("prune.sparsity", "1.5")));
        assertEquals("r.yaml: stages[1].sparsity: must be in [0.0, 1.0), got 1.5 (with prune.sparsity=1.5)", e.getMessage());
        e = assertThrows(RecipeException.class, () -> RecipeOverrides.apply(BASE, of("quantize.observer", "median")));
        assertTrue(e.getMessage().startsWith("r.yaml: stages[2].observer: must be one of minmax, "), e.getMessage());
        e = assertThrows(RecipeException.class, () -> RecipeOverrides.apply(BASE, of("prune.sparsty", "0.5")));
        assertTrue(e.getMessage().startsWith("r.yaml: stages[1].sparsty: unknown key"), e.getMessage());
    }

    @Test
    void aKeyThatAddressesNothingIsNamed() {
        assertEquals("r.yaml: override distill.temperature: the recipe has no distill stage",
                assertThrows(RecipeException.class, () -> RecipeOverrides.apply(BASE, of("distill.temperature", "4"))).getMessage());
        assertEquals("r.yaml: override stages[5].lr: the recipe has 3 stage(s)",
                assertThrows(RecipeException.class, () -> RecipeOverrides.apply(BASE, of("stages[5].lr", "1"))).getMessage());
        assertEquals("r.yaml: override prune.stage: a stage's kind cannot be overridden",
                assertThrows(RecipeException.class, () -> RecipeOverrides.apply(BASE, of("prune.stage", "train"))).getMessage());
        assertTrue(assertThrows(RecipeException.class, () -> RecipeOverrides.apply(BASE, of("Prune.Sparsity!", "1"))).getMessage()
                .startsWith("r.yaml: override Prune.Sparsity!: not a recipe key"));
        assertEquals("r.yaml: override prune.sparsity=[0.5, 0.7]: must be a single value, not a list or mapping",
                assertThrows(RecipeException.class, () -> RecipeOverrides.apply(BASE, of("prune.sparsity", "[0.5, 0.7]"))).getMessage());
        assertEquals("r.yaml: override model.x: model is not a mapping in the recipe",
                assertThrows(RecipeException.class, () -> RecipeOverrides.apply(BASE, of("model.x", "1"))).getMessage());
    }

    @Test
    void aKindWithSeveralStagesMustBeNamedByIndex() {
        Recipe two = Recipe.parse("r.yaml", RECIPE.replace("  - stage: quantize", "  - stage: prune\n    sparsity: 0.2\n  - stage: quantize"));
        assertEquals("r.yaml: override prune.sparsity: the recipe has 2 prune stages; name one as stages[1].sparsity",
                assertThrows(RecipeException.class, () -> RecipeOverrides.apply(two, of("prune.sparsity", "0.6"))).getMessage());
        assertEquals(0.6, ((Number) RecipeOverrides.apply(two, of("stages[2].sparsity", "0.6")).stages().get(2).settings().get("sparsity")).doubleValue());
    }
}
