package dev.nncompress.io.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The trained fixtures, imported, score on the whole Fashion-MNIST test set what ONNX Runtime scored
 * when the script wrote them (8 logits agreeing to 1e-4 do not show that all 10,000 predictions do).
 * A few seconds to a minute a model on 2 cores, so tagged slow:
 * {@code mvn test -DexcludedTestGroups= -Dgroups=slow -Dtest=OnnxFixturesAccuracyTest}.
 * se_resnet is left out: its test set is Fashion-MNIST padded to 3x32x32, which no Java loader makes yet.
 */
@Tag("slow")
class OnnxFixturesAccuracyTest {
    /** Test images whose top two logits are closer than float rounding may go either way. */
    private static final int FLIPS_ALLOWED = 2;

    @ParameterizedTest
    @ValueSource(strings = {"mobilenetv2", "mobilenetv2_student", "squeezenet", "lenet_op17", "resnet_op13", "mlp_op11"})
    void importedModelScoresWhatOnnxRuntimeScored(String name) {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        JsonNode expected = OnnxFixtures.expected(name);
        Dataset test = FashionMnist.test(FashionMnist.DEFAULT_DIR);
        assertEquals(expected.get("test_images").asInt(), test.count(), name + ": the script scored the whole test set");
        int ort = expected.get("onnxruntime_test_correct").asInt();
        try (Backend cpu = new CpuBackend()) {
            OnnxImporter.Imported imp = OnnxImporter.importFile(OnnxFixtures.file(name), cpu);
            EvalResult r = new Evaluator(cpu, 256).evaluate(imp.graph(), test);
            System.out.printf(Locale.ROOT, "%-20s imported %d/%d, ONNX Runtime %d, PyTorch %d, %.0f img/s%n", name, r.correct(), r.count(),
                    ort, expected.get("pytorch_test_correct").asInt(), r.imagesPerSecond());
            assertTrue(Math.abs(r.correct() - ort) <= FLIPS_ALLOWED, name + ": " + r.correct() + " correct, ONNX Runtime " + ort);
        }
    }
}
