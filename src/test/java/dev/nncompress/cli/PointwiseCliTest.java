package dev.nncompress.cli;

import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.PointwiseOnnx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An ONNX classifier of pointwise ops ({@link PointwiseOnnx}: HardSwish, squeeze-excitation, constants, ReLU6,
 * LeakyRelu, a final Softmax) through the commands: it trains on its logits (the Softmax kept in the file), is
 * structured-pruned (the squeeze-excitation's gate with the trunk it scales) and quantised,
 * the int8 engine running every node on int8 codes (it would name any it ran in float).
 */
class PointwiseCliTest {
    @TempDir Path tmp;

    @Test
    void trainPruneAndQuantizeAnImportedPointwiseModel() {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Path onnx = PointwiseOnnx.classifier(tmp.resolve("pw.onnx")), trained = tmp.resolve("t.safetensors");
        MainTest.Run t = run("train", "--model", onnx.toString(), "--epochs", "2", "--train-limit", "1024", "--test-limit", "256", "--optimizer", "adam", "--lr", "0.005",
                "--batch-size", "32", "--backend", "reference", "--quiet", "--out", trained.toString());
        assertEquals(0, t.code(), t.err());
        double trainedAccuracy = accuracy(t.out());
        assertTrue(trainedAccuracy > 40, "cross-entropy on the logits, not on the Softmax's probabilities, learns: " + t.out());

        MainTest.Run info = run("info", trained.toString());
        assertTrue(info.code() == 0 && info.out().contains("softmax") && info.out().contains("hard_swish"), info.out());

        Path pruned = tmp.resolve("p.safetensors");
        MainTest.Run p = run("prune", trained.toString(), "--structured", "--sparsity", "0.5", "--finetune-epochs", "1", "--train-limit", "512",
                "--test-limit", "256", "--backend", "reference", "--quiet", "--out", pruned.toString());
        assertEquals(0, p.code(), p.err());
        // the squeeze-excitation gate ties se_fc2's filters to the stem's channels (and the per-channel Sub constant is sliced)
        Matcher se = Pattern.compile("stem \\+ se_fc2 +(\\d+) -> +(\\d+) channels").matcher(p.out());
        assertTrue(se.find(), "the squeeze-excitation's channels are pruned with the trunk: " + p.out());
        assertEquals(Integer.parseInt(se.group(1)) / 2, Integer.parseInt(se.group(2)), se.group());
        assertTrue(p.out().matches("(?s).*conv2 +16 -> +8 channels.*"), "channels through LeakyRelu are pruned: " + p.out());
        Matcher pm = Pattern.compile("pruned ([0-9.]+)% after").matcher(p.out());
        assertTrue(pm.find(), p.out());
        double prunedAccuracy = Double.parseDouble(pm.group(1));

        Path q = tmp.resolve("q.safetensors");
        MainTest.Run qr = run("quantize", pruned.toString(), "--calib", "64", "--test-limit", "128", "--sensitivity-images", "0", "--backend", "reference",
                "--int8-kernels", "java", "--quiet", "--out", q.toString());
        assertEquals(0, qr.code(), qr.err());
        // every node has an int8 step (issue 17: activation tables, the gate's broadcast MUL, constants, the pool), so no
        // "the int8 engine runs N node(s) in float" note
        assertFalse(qr.err().contains("in float"), qr.err());
        MainTest.Run e = run("eval", q.toString(), "--test-limit", "256", "--backend", "reference", "--int8-kernels", "java", "--quiet");
        assertEquals(0, e.code(), e.err());
        assertTrue(accuracy(e.out()) > 30, "the int8 model still classifies: " + e.out());
        System.out.printf(java.util.Locale.ROOT, "pointwise ONNX classifier: trained %.2f%%, structured-pruned + 1 epoch %.2f%%, int8 %.2f%%%n",
                trainedAccuracy, prunedAccuracy, accuracy(e.out()));
    }

    private static double accuracy(String out) {
        Matcher m = Pattern.compile("accuracy\\s+([0-9.]+)%").matcher(out);
        double last = -1;
        while (m.find()) last = Double.parseDouble(m.group(1));
        return last;
    }
}
