package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The foundation's accuracy targets: 3 epochs of SGD (lr 0.01, momentum 0.9, batch 64) on all 60k
 * training images, scored on the 10k test set. Minutes per model on 2 cores, so tagged slow:
 * {@code mvn test -DexcludedTestGroups= -Dgroups=slow -Dtest=AccuracyTargetsTest}.
 */
@Tag("slow")
class AccuracyTargetsTest {
    @ParameterizedTest
    @CsvSource({"student, 0.880", "lenet5, 0.860", "teacher, 0.900"})
    void threeEpochsReachTheTarget(String model, float target) {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed");
        Backend backend = Backends.defaultBackend();
        Dataset train = FashionMnist.train(FashionMnist.DEFAULT_DIR);
        Dataset test = FashionMnist.test(FashionMnist.DEFAULT_DIR);
        Graph g = Models.byName(model, backend, 42);
        List<EpochStats> h = new Trainer(backend, TrainConfig.sgdDefaults(3, 42)).fit(g, train, test, TrainListener.NONE);
        float acc = h.get(2).eval().accuracy();
        System.out.printf("%s: test accuracy after 3 epochs %.2f%% (target %.1f%%), %,.0f img/s%n", model, 100 * acc, 100 * target,
                h.get(2).imagesPerSecond());
        assertTrue(acc >= target, model + " accuracy " + acc + " < " + target);
    }
}
