package dev.nncompress.pipeline;

import dev.nncompress.data.FashionMnist;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The command modes recipes lacked before PruneRequest/QuantizeRequest/ExportRequest were shared, in one small run
 * (256 training images, a second or two of CPU): gradual structured pruning (cubic, group-l2 channel score, AdamW),
 * the plain-weights export, quantisation with the tensorrt preset, and the TensorRT QDQ export with its tensors in external data.
 */
class RecipeModesTest {
    @TempDir Path tmp;

    @Test
    void gradualStructuredPruningTensorRtPresetAndExternalDataRunInARecipe() throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        Path recipe = tmp.resolve("modes.yaml");
        Files.writeString(recipe, """
                model: student
                seed: 5
                backend: cpu
                data: {train_limit: 256, test_limit: 64}
                bench: {rounds: 1, seconds: 0.01}
                stages:
                  - stage: prune
                    structured: true
                    sparsity: 0.5
                    schedule: cubic
                    ramp: 0.5
                    update_every: 1
                    channel_score: group-l2
                    optimizer: adamw
                    lr: 0.001
                    weight_decay: 0.01
                    batch_size: 64
                    bn_recalibrate: 64
                  - stage: export
                    format: safetensors-plain
                  - stage: quantize
                    preset: tensorrt
                    calib: 64
                    sensitivity: 0
                  - stage: export
                    format: onnx
                    target: tensorrt
                    external_data: true
                """);
        StringWriter out = new StringWriter();
        Pipeline.Result r = Pipeline.fromYaml(recipe).run(tmp.resolve("run"), new PrintWriter(out), new PrintWriter(new StringWriter()));
        List<StageRecord> s = r.stages();
        assertEquals(List.of("input", "prune", "export", "quantize", "export"), s.stream().map(StageRecord::stage).toList());

        // gradual: 4 steps (256 / 64), channels masked over the first 2, then cut out: about half the parameters
        StageRecord prune = s.get(1);
        assertTrue(out.toString().contains("stages[0] (prune)  structured (group-l2, cubic over 2 of 4 steps, channel masks every 1)"), out.toString());
        assertEquals("cubic", prune.settings().get("schedule"));
        long dense = s.get(0).metrics().params(), pruned = prune.metrics().params();
        assertTrue(pruned < 0.6 * dense && pruned > 0.1 * dense, dense + " -> " + pruned);

        // the pruned float weights as plain safetensors (the model went on unchanged)
        var plain = dev.nncompress.io.SafeTensors.read(tmp.resolve("run").resolve(s.get(2).artefact()));
        assertEquals(pruned, plain.tensors().values().stream().mapToLong(t -> java.util.Arrays.stream(t.shape()).reduce(1, (a, b) -> a * b)).sum());
        assertEquals(pruned, s.get(2).metrics().params());

        // the tensorrt preset: symmetric activations (every zero point 0), weights in [-127, 127]
        var int8 = Int8ModelIO.load(tmp.resolve("run").resolve(s.get(3).artefact())).model();
        int8.activations().values().forEach(q -> assertEquals(0, q.zeroPoint(0)));
        for (var w : int8.weights().values()) for (byte c : w.codes()) assertTrue(c >= -127, "weight code " + c);

        // the QDQ export's tensors in the side file, counted in the stage's bytes
        Path onnx = tmp.resolve("run").resolve(s.get(4).artefact());
        Path side = onnx.resolveSibling(onnx.getFileName() + ".data");
        assertTrue(Files.size(side) > 0);
        assertEquals(Files.size(onnx) + Files.size(side), s.get(4).metrics().fileBytes());
        try (InputStream in = Files.newInputStream(onnx)) {
            ModelProto m = ModelProto.parseFrom(in);
            assertTrue(m.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("QuantizeLinear")));
            assertTrue(m.getGraph().getInitializerList().stream().anyMatch(t -> t.getExternalDataCount() > 0), "tensors in external data");
        }
        assertEquals("tensorrt", s.get(4).settings().get("target"));
    }
}
