package dev.nncompress.pipeline;

import dev.nncompress.data.FashionMnist;
import dev.nncompress.io.CodedStorage;
import dev.nncompress.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code stage: share} after a prune stage: the artefact is coded, smaller than the pruned one, and evaluated like any stage. */
class ShareStageTest {
    @TempDir Path tmp;

    @Test
    void pruneThenShareWritesACodedArtefact() throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        Pipeline.Result res = Pipeline.fromYaml("share.yaml", """
                model: student
                seed: 3
                backend: reference
                data: {train_limit: 256, test_limit: 64}
                bench: {rounds: 1, seconds: 0.02}
                stages:
                  - stage: prune
                    sparsity: 0.9
                    finetune_epochs: 0
                  - stage: share
                    bits: 3
                    conv_bits: 4
                    layer_bits: {fc1: 2}
                    bias_bits: 2
                    finetune_epochs: 1
                """).run(tmp.resolve("run"), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        StageRecord prune = res.stages().get(1), share = res.stages().get(2);
        assertEquals("share", share.stage());
        Path artefact = res.runDir().resolve(share.artefact());
        assertEquals(CodedStorage.FORMAT, SafeTensors.read(artefact).metadata().get("nncompress.format"));
        assertEquals(Files.size(artefact), share.metrics().fileBytes());
        assertTrue(share.metrics().fileBytes() * 2 < prune.metrics().fileBytes(), share.metrics().fileBytes() + " vs " + prune.metrics().fileBytes());
        assertEquals(3, share.settings().get("bits"));
        assertEquals(java.util.Map.of("fc1", 2), share.settings().get("layer_bits"));
        assertEquals(2, share.settings().get("bias_bits"));
        assertTrue(CodedStorage.sizes(artefact).stream().anyMatch(sz -> sz.tensor().equals("fc1.bias") && sz.codebook() <= 4), "fc1.bias is shared and coded");
        for (CodedStorage.Sizes sz : CodedStorage.sizes(artefact)) {
            int most = sz.tensor().startsWith("fc1.") ? 4 : sz.tensor().startsWith("fc") ? 8 : 16;
            assertTrue(sz.codebook() <= most, sz.tensor() + ": " + sz.codebook() + " shared values, at most " + most);
        }
        assertTrue(share.metrics().accuracy() > 0, "evaluated");
    }

    @Test
    void layerBitsAreCheckedWhereTheRecipeSaysThem() {
        String recipe = """
                model: student
                stages:
                  - stage: share
                    layer_bits: {fc1: %s}
                """;
        var range = assertThrows(RecipeException.class, () -> Pipeline.fromYaml("r.yaml", recipe.formatted("9")));
        assertTrue(range.getMessage().contains("stages[0].layer_bits.fc1") && range.getMessage().contains("[2, 8]"), range.getMessage());
        var kind = assertThrows(RecipeException.class, () -> Pipeline.fromYaml("r.yaml", recipe.formatted("four")));
        assertTrue(kind.getMessage().contains("stages[0].layer_bits.fc1"), kind.getMessage());
        var bias = assertThrows(RecipeException.class, () -> Pipeline.fromYaml("r.yaml", "model: student\nstages:\n  - stage: share\n    bias_bits: 1\n"));
        assertTrue(bias.getMessage().contains("stages[0].bias_bits") && bias.getMessage().contains("[2, 8]"), bias.getMessage());
    }
}
