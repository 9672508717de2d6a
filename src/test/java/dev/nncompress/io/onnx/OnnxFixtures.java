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
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * The ONNX files under src/test/resources/onnx/ (written by scripts/make-onnx-fixtures.py; its module
 * onnx_fixtures/record.py defines the JSON) and what the script recorded beside each: the 8 inputs
 * ({@link #inputs}: the first Fashion-MNIST test images or seeded pseudo-random images), ONNX Runtime's
 * logits for them, and for trained models PyTorch's and ONNX Runtime's test-set accuracy.
 */
public final class OnnxFixtures {
    /** The first slice: one per exporter path, TorchScript at opsets 17, 13 and 11, dynamo at 18. */
    public static final List<String> FIRST_SLICE = List.of("lenet_op17", "lenet_dynamo_op18", "resnet_op13", "mlp_op11");

    /** The vision models of issue 17, trained on Fashion-MNIST (se_resnet on it padded to 3x32x32). */
    public static final List<String> MODELS = List.of("mobilenetv2", "mobilenetv2_student", "squeezenet", "se_resnet", "se_resnet_dynamo_op18");

    /** The operator zoo: random weights, every other operator and attribute form, several opsets and exporters. */
    public static final List<String> OPZOO = List.of("opzoo_op11", "opzoo_op13", "opzoo_op17", "opzoo_dynamo_op18",
            "opzoo_dynamo_op21", "opzoo_helper_op11", "opzoo_helper_op21");

    /** Every fixture (OnnxFixturesTest checks that no file in the folder is missing here). */
    public static final List<String> NAMES = Stream.of(FIRST_SLICE, MODELS, OPZOO).flatMap(List::stream).toList();

    /** A fixture's inputs, [samples, C, H, W] row-major. */
    public record Input(float[] values, long[] shape) {
        public int samples() { return (int) shape[0]; }
    }

    private OnnxFixtures() {}

    public static Path folder() { return file("lenet_op17").getParent(); }

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

    /** True when the fixture's inputs are read from the installed Fashion-MNIST (others are generated). */
    public static boolean needsDataset(JsonNode expected) { return "fashion-mnist-test".equals(expected.get("input").get("source").asText()); }

    /** The inputs the script recorded logits for, from the JSON's "input" (data.py in the script). */
    public static Input inputs(JsonNode expected) {
        JsonNode spec = expected.get("input");
        JsonNode dims = spec.get("shape");
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = dims.get(i).asLong();
        int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        String source = spec.get("source").asText();
        return switch (source) {
            case "fashion-mnist-test" -> {
                if (!Arrays.equals(Arrays.copyOfRange(shape, 1, shape.length), new long[] {1, 28, 28})) {
                    throw new IllegalArgumentException("Fashion-MNIST inputs are 1x28x28, the fixture says " + Arrays.toString(shape));
                }
                yield new Input(testImages((int) shape[0]), shape);
            }
            case "lcg" -> new Input(lcgImages(spec.get("seed").asLong(), n), shape);
            default -> throw new IllegalArgumentException("unknown fixture input source " + source);
        };
    }

    /**
     * The script's seeded pseudo-random images (data.lcg_images): Knuth's MMIX LCG, the top 24 bits k of each
     * state giving (k - 2^23) / 2^22 in [-2, 2), exact in float32; the same values as the Python side bit for bit.
     */
    public static float[] lcgImages(long seed, int n) {
        float[] out = new float[n];
        long state = seed;
        for (int i = 0; i < n; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            out[i] = (float) ((state >>> 40) - (1 << 23)) / (1 << 22);
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
     * largest magnitude of the reference logits; the maximum over the inputs. NaN-sticky (Math.max returns NaN when
     * either argument is NaN; an all-zero reference row gives 0/0 = NaN too), so {@code err <= tol} fails on a NaN
     * anywhere ({@code ComparisonNanTest}); do not rewrite it with {@code if (d > worst) worst = d}, which drops NaN.
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
