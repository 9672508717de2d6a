package dev.nncompress.io.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The ONNX files under src/test/resources/onnx/ (written by scripts/make-onnx-fixtures.py from PyTorch
 * models trained briefly on Fashion-MNIST) and what the script recorded beside each: ONNX Runtime's
 * logits for the first 8 test images, and PyTorch's and ONNX Runtime's test-set accuracy.
 */
public final class OnnxFixtures {
    /** One per exporter path: TorchScript at opsets 17, 13 and 11, dynamo at 18. */
    public static final List<String> NAMES = List.of("lenet_op17", "lenet_dynamo_op18", "resnet_op13", "mlp_op11");

    private OnnxFixtures() {}

    public static Path file(String name) {
        try {
            return Path.of(OnnxFixtures.class.getResource("/onnx/" + name + ".onnx").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode expected(String name) {
        try {
            return new JsonMapper().readTree(Files.readString(file(name).resolveSibling(name + ".json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The expected logits, [samples][classes]. */
    public static float[][] logits(JsonNode expected) {
        JsonNode rows = expected.get("logits");
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new float[rows.get(i).size()];
            for (int j = 0; j < out[i].length; j++) out[i][j] = (float) rows.get(i).get(j).asDouble();
        }
        return out;
    }

    /** The first {@code n} Fashion-MNIST test images, normalised as the script did (and as train does). */
    public static float[] testImages(int n) {
        Dataset d = FashionMnist.test(FashionMnist.DEFAULT_DIR, n);
        return d.images();
    }

    public static boolean datasetInstalled() {
        return Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TEST_IMAGES));
    }

    /**
     * The measure: for each input, the largest absolute difference over its logits divided by the
     * largest magnitude of the reference logits; the maximum over the inputs.
     */
    public static double maxRelativeError(float[] actual, float[][] reference) {
        double worst = 0;
        int k = reference[0].length;
        for (int i = 0; i < reference.length; i++) {
            double diff = 0, scale = 0;
            for (int j = 0; j < k; j++) {
                diff = Math.max(diff, Math.abs(actual[i * k + j] - reference[i][j]));
                scale = Math.max(scale, Math.abs(reference[i][j]));
            }
            worst = Math.max(worst, diff / scale);
        }
        return worst;
    }
}
