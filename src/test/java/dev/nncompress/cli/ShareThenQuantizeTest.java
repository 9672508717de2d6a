package dev.nncompress.cli;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.int8.QuantizedWeight;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.ModelIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Deep compression composes with int8: prune -> share -> quantize -> eval of the int8 file, as a user runs them, from
 * a LeNet trained on Fashion-MNIST (the ONNX fixture). The int8 weight codes come from the codebook: per output channel every element of a cluster has the same code,
 * the code of its centroid ({@code round(c / scale)}, within half a step of it), pruned elements code 0; so a layer of
 * K shared values has at most K nonzero codes per channel. Accuracy: the int8 file within {@value #TOLERANCE_POINTS}
 * points of the float shared file on the same {@value #TEST_IMAGES} test images (the full built-in LeNet-5 run of
 * docs/deep-compression.md: 88.47% float, 88.41% int8 on all 10,000).
 */
class ShareThenQuantizeTest {
    static final double TOLERANCE_POINTS = 1.5;
    static final int TEST_IMAGES = 1000;
    @TempDir Path tmp;

    @Test
    void aSharedModelQuantisesToCodesOfItsCodebookAndKeepsItsAccuracy() throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        Path trained = Path.of("src/test/resources/onnx/lenet_op17.onnx"); // trained on Fashion-MNIST (its .json); 86.1% on the first 1,000 test images
        Path pruned = tmp.resolve("p.safetensors"), shared = tmp.resolve("s.safetensors"), int8 = tmp.resolve("q.safetensors");
        String limit = Integer.toString(TEST_IMAGES);
        ok(run("prune", trained.toString(), "--sparsity", "0.6", "--finetune-epochs", "0", "--test-limit", "100", "--quiet", "--out", pruned.toString()));
        ok(run("share", pruned.toString(), "--bits", "4", "--conv-bits", "5", "--bias-bits", "5", "--finetune-epochs", "0", "--test-limit", "100",
                "--quiet", "--out", shared.toString()));
        ok(run("quantize", shared.toString(), "--calib", "256", "--eval", "100", "--sensitivity", "0", "--quiet", "--out", int8.toString()));

        Graph floats = ModelIO.load(shared, new ReferenceBackend()).graph();
        Map<String, QuantizedWeight> weights = Int8ModelIO.load(int8).model().weights();
        assertEquals(floats.params().keySet().stream().filter(n -> n.endsWith(".weight")).map(n -> n.substring(0, n.indexOf('.'))).collect(java.util.stream.Collectors.toSet()),
                weights.keySet(), "every shared layer is int8");
        for (var e : weights.entrySet()) {
            float[] w = floats.param(e.getKey() + ".weight").value().toFloatArray();
            QuantizedWeight q = e.getValue();
            int row = q.rowLength();
            Set<Float> codebook = new HashSet<>();
            for (float v : w) if (v != 0f) codebook.add(v);
            for (int o = 0; o < q.outChannels(); o++) {
                Map<Float, Byte> codeOf = new HashMap<>();
                for (int i = o * row; i < (o + 1) * row; i++) {
                    byte c = q.codes()[i];
                    if (w[i] == 0f) {
                        assertEquals(0, c, e.getKey() + "[" + i + "]: pruned stays code 0");
                        continue;
                    }
                    Byte first = codeOf.putIfAbsent(w[i], c);
                    assertTrue(first == null || first == c, e.getKey() + " channel " + o + ": centroid " + w[i] + " has codes " + first + " and " + c);
                    assertTrue(Math.abs(c * q.scales()[o] - w[i]) <= q.scales()[o] / 2 * 1.0001f, e.getKey() + "[" + i + "]: code " + c + " is its centroid " + w[i] + " quantised");
                }
                assertTrue(codeOf.size() <= codebook.size(), e.getKey() + " channel " + o + ": " + codeOf.size() + " codes from " + codebook.size() + " shared values");
            }
            assertTrue(codebook.size() <= 32, e.getKey() + " is shared: " + codebook.size() + " values");
        }

        double floatAcc = accuracy(run("eval", shared.toString(), "--test-limit", limit));
        double int8Acc = accuracy(run("eval", int8.toString(), "--test-limit", limit));
        assertTrue(floatAcc > 50, "the shared model learned something: " + floatAcc + "%");
        assertTrue(Math.abs(int8Acc - floatAcc) <= TOLERANCE_POINTS, "int8 " + int8Acc + "% vs float shared " + floatAcc + "%");
    }

    private static void ok(MainTest.Run r) { assertEquals(0, r.code(), r.err()); }

    private static double accuracy(MainTest.Run r) {
        ok(r);
        Matcher m = Pattern.compile("accuracy  ([0-9.]+)%").matcher(r.out());
        assertTrue(m.find(), r.out());
        return Double.parseDouble(m.group(1));
    }
}
