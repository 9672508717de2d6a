package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Training on real Fashion-MNIST slices with the plain-Java reference backend. That a student learns (accuracy after
 * training, loss falling, the confusion matrix) is {@link AccuracyGateTest}'s, on the cpu backend and through int8.
 */
class TrainerTest {
    private static final Backend BACKEND = new ReferenceBackend();
    private static Dataset train;

    @BeforeAll
    static void load() {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
        train = FashionMnist.train(FashionMnist.DEFAULT_DIR, 512);
    }

    @Test
    void sameSeedGivesIdenticalWeightsAndOtherSeedDoesNot() {
        Dataset small = train.slice(0, 256);
        float[] a = trainedWeights(small, 7, new OptimizerConfig.Sgd(0.05f, 0.9f, 1e-4f, true));
        float[] b = trainedWeights(small, 7, new OptimizerConfig.Sgd(0.05f, 0.9f, 1e-4f, true));
        float[] c = trainedWeights(small, 8, new OptimizerConfig.Sgd(0.05f, 0.9f, 1e-4f, true));
        assertArrayEquals(a, b, 0f);
        assertTrue(!java.util.Arrays.equals(a, c));
        float[] adam = trainedWeights(small, 7, OptimizerConfig.Adam.adamW(1e-3f, 0.01f));
        assertTrue(!java.util.Arrays.equals(a, adam));
    }

    private float[] trainedWeights(Dataset d, long seed, OptimizerConfig opt) {
        Graph g = Models.lenet5(BACKEND, 3);
        new Trainer(BACKEND, new TrainConfig(1, 32, opt, new LrSchedule.Cosine(0), seed)).fit(g, d, null, TrainListener.NONE);
        return g.param("fc3.weight").value().toFloatArray();
    }

    @Test
    void divergingLossStopsWithAClearError() {
        Graph g = Models.student(BACKEND, 1);
        TrainConfig cfg = new TrainConfig(1, 64, new OptimizerConfig.Sgd(1e4f, 0.9f, 0, false), new LrSchedule.Constant(), 1);
        var e = assertThrows(TrainingDivergedException.class, () -> new Trainer(BACKEND, cfg).fit(g, train.slice(0, 512), null, TrainListener.NONE));
        assertTrue(e.getMessage().contains("smaller learning rate"), e.getMessage());
    }

    @Test
    void schedulesFollowTheirFormulas() {
        assertEquals(0.1f, new LrSchedule.Step(2, 0.5f).lr(0.1f, 19, 100, 10), 1e-7f); // epoch 1
        assertEquals(0.05f, new LrSchedule.Step(2, 0.5f).lr(0.1f, 20, 100, 10), 1e-7f); // epoch 2
        assertEquals(0.1f, new LrSchedule.Cosine(0).lr(0.1f, 0, 100, 10), 1e-7f);
        assertEquals(0.05f, new LrSchedule.Cosine(0).lr(0.1f, 50, 100, 10), 1e-6f);
        assertEquals(0.01f + 0.09f * 0.5f * (1 + (float) Math.cos(Math.PI * 0.25)), new LrSchedule.Cosine(0.01f).lr(0.1f, 25, 100, 10), 1e-6f);
        assertTrue(LrSchedule.parse("step:3:0.1") instanceof LrSchedule.Step s && s.everyEpochs() == 3);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.parse("linear"));
        var e = assertThrows(IllegalArgumentException.class, () -> new OptimizerConfig.Sgd(0.1f, 1.5f, 0, false));
        assertTrue(e.getMessage().contains("momentum"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig(0, 64, OptimizerConfig.Adam.adam(1e-3f), new LrSchedule.Constant(), 0));
    }
}
