package dev.nncompress.pipeline;

import dev.nncompress.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recipe parsing and validation: nothing is loaded, so every case is milliseconds. */
class RecipeTest {
    @TempDir Path tmp;

    private static final String GOOD = """
            model: student
            seed: 7
            out: runs/x
            data: {train_limit: 100, test_limit: 50, split_seed: 3}
            stages:
              - stage: train
                epochs: 2
                optimizer: adam
                lr: 0.001
              - stage: prune
                structured: true
                sparsity: 0.25
                method: activation
              - stage: distill
                teacher: input
                student: lenet5
              - stage: prune
                nm: "2:4"
              - stage: quantize
                method: qat
                qat_epochs: 2
                observer: percentile
                exclude: [fc2]
              - stage: export
                format: onnx-qdq
            """;

    @Test
    void aValidRecipeParsesWithDefaultsFilledIn() {
        Recipe r = Recipe.parse("r.yaml", GOOD);
        assertEquals("student", r.model());
        assertEquals(7, r.seed());
        assertEquals(Path.of("runs/x"), r.out());
        assertEquals(100, r.trainLimit());
        assertEquals(50, r.testLimit());
        assertEquals(3, r.data().splitSeed());
        assertEquals(6, r.stages().size());
        TrainStage t = assertInstanceOf(TrainStage.class, r.stages().get(0));
        assertEquals(2, t.training().epochs());
        assertEquals("adam", t.training().optimizer());
        assertEquals(64, t.training().batchSize()); // train's default
        PruneStage p = assertInstanceOf(PruneStage.class, r.stages().get(1));
        assertTrue(p.request().structured());
        assertEquals(0.25, p.request().sparsity());
        assertEquals("2:4", assertInstanceOf(PruneStage.class, r.stages().get(3)).request().nm());
        QuantizeStage q = assertInstanceOf(QuantizeStage.class, r.stages().get(4));
        assertEquals(2, q.request().qatEpochs());
        assertEquals("percentile", q.request().observer());
        assertEquals(java.util.List.of("fc2"), q.request().exclude());
        assertEquals(64, Recipe.sha256(GOOD).length());
        assertEquals(Recipe.sha256(GOOD), r.sha256());
        assertFalse(Recipe.sha256(GOOD).equals(Recipe.sha256(GOOD + " ")), "the hash is of the text as written");
    }

    /** The recipe with its stage list replaced, and the error it must give. */
    private static void refused(String stages, String expected) {
        String text = "model: student\nstages:\n" + stages;
        RecipeException e = assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", text), text);
        assertEquals(expected, e.getMessage());
    }

    @Test
    void outOfRangeNumbersNameTheKeyPath() {
        refused("  - stage: train\n  - stage: prune\n    sparsity: 0.5\n  - stage: prune\n    sparsity: 1.5\n",
                "r.yaml: stages[2].sparsity: must be in [0.0, 1.0), got 1.5"); // the rule and message of prune --sparsity (PruneRequest)
        refused("  - stage: train\n    epochs: 0\n", "r.yaml: stages[0].epochs: must be in [1, 10000], got 0");
        refused("  - stage: train\n    lr: -1\n", "r.yaml: stages[0].lr: must be in [0, inf], got -1");
        refused("  - stage: distill\n    alpha: 2\n", "r.yaml: stages[0].alpha: must be in [0, 1], got 2");
        refused("  - stage: export\n    opset: 99\n", "r.yaml: stages[0].opset: 99 is outside 13..21 (the opsets this export writes)");
        refused("  - stage: share\n    bits: 9\n", "r.yaml: stages[0].bits: must be in [2, 8], got 9");
    }

    @Test
    void wrongTypesUnknownKeysAndUnknownChoicesAreRefused() {
        refused("  - stage: train\n    epochs: two\n", "r.yaml: stages[0].epochs: must be an integer, got a string ('two')");
        refused("  - stage: train\n    epochs: 1.5\n", "r.yaml: stages[0].epochs: must be an integer, got a number (1.5)");
        refused("  - stage: prune\n    sparsity: \"0.5\"\n", "r.yaml: stages[0].sparsity: must be a number, got a string ('0.5')");
        refused("  - stage: prune\n    sparsity: 0.5\n    sparsty: 0.9\n", "r.yaml: stages[0].sparsty: unknown key; known here: stage, method, scope, sparsity, "
                + "nm, structured, linear_sparsity, bn_recalibrate, schedule, rounds, update_every, ramp, channel_score, channel_allocation, finetune_epochs, lr, optimizer, "
                + "weight_decay, lr_schedule, batch_size, layers, calib");
        refused("  - stage: shrink\n", "r.yaml: stages[0].stage: must be one of train, prune, distill, quantize, export, share, got 'shrink'");
        refused("  - epochs: 1\n", "r.yaml: stages[0].stage: is required: one of train, prune, distill, quantize, export, share");
        refused("  - stage: quantize\n    observer: fancy\n", "r.yaml: stages[0].observer: must be one of minmax, ema, percentile, mse, kl, got 'fancy'");
        refused("  - stage: prune\n    sparsity: 0.5\n    structured: yes please\n", "r.yaml: stages[0].structured: must be true or false, got a string ('yes please')");
        refused("  - train\n", "r.yaml: stages[0]: must be a mapping (key: value), got a string ('train')");
    }

    @Test
    void combinationsTheCommandsRefuseAreRefusedAtTheirKey() {
        refused("  - stage: prune\n", "r.yaml: stages[0].sparsity: is required (a fraction in [0, 1)), or give nm: N:M");
        refused("  - stage: prune\n    nm: \"2:4\"\n    sparsity: 0.5\n", "r.yaml: stages[0].nm: 2:4 fixes the sparsity; drop sparsity");
        refused("  - stage: prune\n    nm: \"5:4\"\n", "r.yaml: stages[0].nm: " + message(() -> dev.nncompress.tensor.NmPattern.parse("5:4")));
        refused("  - stage: prune\n    sparsity: 0.5\n    structured: true\n    method: taylor\n",
                "r.yaml: stages[0].structured: ranks filters by magnitude (L1) or activation (APoZ); taylor is for single weights "
                        + "(channels: channel_score: taylor with schedule cubic or iterative)");
        refused("  - stage: prune\n    sparsity: 0.5\n    ramp: 0.5\n", "r.yaml: stages[0].ramp: shapes the cubic schedule; add schedule: cubic");
        refused("  - stage: prune\n    sparsity: 0.5\n    structured: true\n    schedule: cubic\n    finetune_epochs: 0\n",
                "r.yaml: stages[0].structured: schedule: cubic masks channels during fine-tuning; it needs finetune_epochs >= 1");
        refused("  - stage: prune\n    sparsity: 0.5\n    channel_score: taylor\n", "r.yaml: stages[0].channel_score: ranks channels for structured: true method: magnitude");
        refused("  - stage: quantize\n    preset: trt\n", "r.yaml: stages[0].preset: trt is not one of: default, tensorrt");
        refused("  - stage: quantize\n  - stage: export\n    target: tensorrt\n",
                "r.yaml: stages[1].target: tensorrt takes symmetric activations and weights in [-127, 127]; add preset: tensorrt to stages[0] (quantize)");
        refused("  - stage: export\n    format: safetensors-plain\n    external_data: true\n", "r.yaml: stages[0].external_data: applies to format: onnx only");
        refused("  - stage: prune\n    sparsity: 0.5\n    lr_schedule: sideways\n",
                "r.yaml: stages[0].lr_schedule: " + message(() -> dev.nncompress.train.LrSchedule.parse("sideways")));
        refused("  - stage: quantize\n  - stage: prune\n    sparsity: 0.5\n",
                "r.yaml: stages[1]: prune needs a float model, but an earlier quantize stage made it int8; move quantize after it");
        refused("  - stage: export\n    format: onnx-qdq\n", "r.yaml: stages[0].format: onnx-qdq writes an int8 model; add a quantize stage before this one, or use onnx");
        refused("  - stage: quantize\n    qat_epochs: 3\n", "r.yaml: stages[0].qat_epochs: applies to method: qat only");
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void topLevelProblemsAndBrokenYaml() {
        assertEquals("r.yaml: stages: is required: a list of stages (train, prune, distill, quantize, export, share)",
                assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "model: student\n")).getMessage());
        assertEquals("r.yaml: model: is required", assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "stages: [{stage: train}]\n")).getMessage());
        assertEquals("r.yaml: modle: unknown key; known here: model, seed, out, backend, data, bench, budget, stages",
                assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "model: student\nmodle: x\nstages: [{stage: train}]\n")).getMessage());
        assertEquals("r.yaml: data.test_limit: must be in [1, 2147483647], got 0",
                assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "model: s\ndata: {test_limit: 0}\nstages: [{stage: train}]\n")).getMessage());
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "model: s\nbackend: gpu\nstages: [{stage: train}]\n")).getMessage()
                .startsWith("r.yaml: backend: must be one of auto, "));
        assertEquals("r.yaml: stages: is empty; give at least one stage",
                assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "model: s\nstages: []\n")).getMessage());
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "model: [unclosed\n")).getMessage().startsWith("r.yaml: not valid YAML: "));
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "model: a\nmodel: b\nstages: [{stage: train}]\n")).getMessage()
                .startsWith("r.yaml: not valid YAML: "), "duplicate keys are refused, not last-wins");
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "")).getMessage().startsWith("r.yaml: empty recipe"));
        assertEquals("r.yaml: : must be a mapping (key: value), got a list",
                assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "- a\n- b\n")).getMessage());
    }

    @Test
    void theBudgetIsReadAndNeedsAReference() {
        Recipe r = Recipe.parse("r.yaml", "model: student\nbudget: {max_accuracy_drop: 0.5}\nstages: [{stage: train}, {stage: quantize}]\n");
        assertEquals(new Recipe.Budget(0.5, 3), r.budget());
        assertEquals(null, Recipe.parse("r.yaml", "model: student\nstages: [{stage: train}]\n").budget());
        assertEquals("r.yaml: budget: needs a reference accuracy: the model is an untrained built-in and stages[0] (prune) has no train or distill stage before it",
                assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml",
                        "model: student\nbudget: {max_accuracy_drop: 0.5}\nstages: [{stage: prune, sparsity: 0.5}]\n")).getMessage());
        assertEquals("r.yaml: budget.max_accuracy_drop: must be in [0, 100], got -1", assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml",
                "model: m.safetensors\nbudget: {max_accuracy_drop: -1}\nstages: [{stage: train}]\n")).getMessage());
        assertEquals("r.yaml: budget.max_accuracy_drop: is required: accuracy points the compressed model may lose, e.g. 0.5",
                assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", "model: m.safetensors\nbudget: {}\nstages: [{stage: train}]\n")).getMessage());
    }

    @Test
    void anAliasBombIsNotExpanded() {
        StringBuilder y = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (char c = 'b'; c <= 'k'; c++) y.append(c).append(": &").append(c).append(" [*").append((char) (c - 1)).append(", *").append((char) (c - 1))
                .append(", *").append((char) (c - 1)).append(", *").append((char) (c - 1)).append("]\n");
        y.append("model: student\nstages: [{stage: train}]\n");
        // Jackson reads YAML as events and does not expand aliases into copies: the 4^10 leaves never exist, and the
        // recipe is refused for its unknown key like any other
        RecipeException e = assertThrows(RecipeException.class, () -> Recipe.parse("r.yaml", y.toString()));
        assertEquals("r.yaml: a: unknown key; known here: model, seed, out, backend, data, bench, budget, stages", e.getMessage());
    }

    @Test
    void theCliReportsABadRecipeInOneLineWithExitOneAndCreatesNothing() throws Exception {
        Path recipe = tmp.resolve("bad.yaml");
        Files.writeString(recipe, "model: student\nout: " + tmp.resolve("run") + "\nstages:\n  - stage: prune\n    sparsity: 1.5\n");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new String[] {"compress", "--recipe", recipe.toString()}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(1, code, err.toString());
        assertEquals("nncompress: error: bad.yaml: stages[0].sparsity: must be in [0.0, 1.0), got 1.5\n", err.toString());
        assertFalse(Files.exists(tmp.resolve("run")), "nothing is created for a recipe that does not parse");

        err = new StringWriter();
        code = Main.run(new String[] {"compress", "--recipe", tmp.resolve("missing.yaml").toString()}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(1, code);
        assertTrue(err.toString().startsWith("nncompress: error: ") && err.toString().contains("missing.yaml") && err.toString().lines().count() == 1, err.toString());
    }
}
