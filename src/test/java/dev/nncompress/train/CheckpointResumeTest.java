package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prune.MaskingStepHook;
import dev.nncompress.compress.prune.PruneMasks;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Checkpoint and resume through the library API on the reference backend: a run stopped by an exception at some
 * step and resumed from its last checkpoint ends with exactly the weights, buffers and statistics of an
 * uninterrupted run (the forked, kill -9 version for the CLI commands is KillResumeForkedTest).
 */
class CheckpointResumeTest {
    private static final Backend BACKEND = new ReferenceBackend();
    private static Dataset train;
    private static Dataset test;
    @TempDir Path tmp;

    @BeforeAll
    static void load() {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed");
        train = FashionMnist.train(FashionMnist.DEFAULT_DIR, 200);
        test = FashionMnist.test(FashionMnist.DEFAULT_DIR, 50);
    }

    /** conv -> batch norm (running buffers) -> relu -> pool -> dropout (seeded per step) -> linear. */
    private static Graph small(long seed) {
        GraphBuilder b = new GraphBuilder("small", Shape.of(1, 28, 28), BACKEND, seed);
        String x = b.maxPool("pool", b.relu("relu", b.batchNorm("bn", b.conv("conv", Graph.INPUT, 4, 3, 1, 1, false))), 4);
        return b.build(b.linear("fc", b.dropout("drop", b.flatten("flatten", x), 0.25), 10));
    }

    private static TrainConfig config(String optimizer) {
        OptimizerConfig o = switch (optimizer) {
            case "sgd" -> new OptimizerConfig.Sgd(0.05f, 0.9f, 1e-3f, true);
            case "adamw" -> OptimizerConfig.Adam.adamW(3e-3f, 0.01f);
            default -> throw new IllegalArgumentException(optimizer);
        };
        return new TrainConfig(3, 32, o, new LrSchedule.Cosine(1e-4f), 5); // 7 steps per epoch, the last one short
    }

    private static CheckpointConfig cfg(String optimizer) { return CheckpointConfig.of(Map.of("optimizer", optimizer, "seed", "5")); }

    /** Stops the run with an exception once it reaches {@code globalStep}. */
    private static TrainListener crashAt(long globalStep) {
        return new TrainListener() {
            long steps;

            @Override public void stepDone(int step, float meanLoss, double ips) {
                if (++steps == globalStep) throw new IllegalStateException("crash");
            }
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adamw"})
    void resumedRunEndsWithTheUninterruptedWeights(String optimizer) {
        Graph plain = small(1);
        List<EpochStats> expected = new Trainer(BACKEND, config(optimizer), maskingHook(plain)).fit(plain, train, test, TrainListener.NONE);

        for (long crash : new long[] {7, 12, 21}) { // on an epoch end, mid-epoch after its first checkpoint, at the very end
            Path dir = tmp.resolve(optimizer + crash);
            Graph g = small(1);
            Trainer first = new Trainer(BACKEND, config(optimizer), maskingHook(g)).withCheckpoints(Checkpointing.start(dir, 4, cfg(optimizer), n -> { }));
            assertThrows(IllegalStateException.class, () -> first.fit(g, train, test, crashAt(crash)));

            Graph resumed = small(1); // a fresh process: initial weights, then the checkpoint
            Checkpointing c = Checkpointing.resume(dir, 4, cfg(optimizer), n -> { });
            assertTrue(c.resumed().globalStep() < crash, "checkpoint at " + c.resumed().globalStep());
            List<EpochStats> history = new Trainer(BACKEND, config(optimizer), maskingHook(resumed)).withCheckpoints(c).fit(resumed, train, test,
                    TrainListener.NONE);
            for (Parameter p : plain.params().values()) {
                assertArrayEquals(p.value().toFloatArray(), resumed.param(p.name()).value().toFloatArray(), 0f,
                        optimizer + ", crash at " + crash + ": " + p.name());
            }
            assertEquals(expected.size(), history.size());
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i).trainLoss(), history.get(i).trainLoss(), 0f, "epoch " + (i + 1) + " loss");
                assertEquals(expected.get(i).eval().correct(), history.get(i).eval().correct());
            }
        }
    }

    /** Holds the 50% smallest conv weights at zero: the masks travel in the checkpoint's hook section. */
    private static MaskingStepHook maskingHook(Graph g) {
        float[] w = g.param("conv.weight").value().toFloatArray();
        boolean[] keep = new boolean[w.length];
        for (int i = 0; i < w.length; i++) keep[i] = Math.abs(w[i]) > 0.2f;
        return new MaskingStepHook(BACKEND, g, new PruneMasks(Map.of("conv.weight", keep)));
    }

    @Test
    void aCheckpointOfAnotherConfigurationIsRefusedNamingTheKeys() {
        Path dir = tmp.resolve("ck");
        Graph g = small(1);
        new Trainer(BACKEND, config("sgd")).withCheckpoints(Checkpointing.start(dir, 0, cfg("sgd"), n -> { })).fit(g, train, null, TrainListener.NONE);
        Map<String, String> other = new LinkedHashMap<>(Map.of("optimizer", "adamw", "seed", "5", "limit", "100"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpointing.resume(dir, 0, CheckpointConfig.of(other), n -> { }));
        assertTrue(e.getMessage().contains("limit: (absent) -> 100; optimizer: sgd -> adamw"), e.getMessage());
        assertTrue(!e.getMessage().contains("seed"), e.getMessage());
        // and a fresh start must not overwrite it
        assertThrows(IllegalArgumentException.class, () -> Checkpointing.start(dir, 0, cfg("sgd"), n -> { }));
    }

    @Test
    void aCheckpointOfAnotherModelIsRefusedNamingTheTensor() {
        Path dir = tmp.resolve("ck");
        Graph g = small(1);
        new Trainer(BACKEND, config("sgd")).withCheckpoints(Checkpointing.start(dir, 0, cfg("sgd"), n -> { })).fit(g, train, null, TrainListener.NONE);
        Graph other = dev.nncompress.models.Models.student(BACKEND, 1);
        Trainer t = new Trainer(BACKEND, config("sgd")).withCheckpoints(Checkpointing.resume(dir, 0, cfg("sgd"), n -> { }));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> t.fit(other, train, null, TrainListener.NONE));
        assertTrue(e.getMessage().startsWith(CheckpointFile.path(dir) + ": checkpoint does not fit this run: "), e.getMessage());
    }

    @Test
    void oneCheckpointingServesOneRun() {
        Checkpointing c = Checkpointing.start(tmp.resolve("once"), 0, cfg("sgd"), n -> { });
        Trainer t = new Trainer(BACKEND, new TrainConfig(1, 100, new OptimizerConfig.Sgd(0.01f, 0f, 0f, false), new LrSchedule.Constant(), 1))
                .withCheckpoints(c);
        t.fit(small(1), train, null, TrainListener.NONE);
        assertThrows(IllegalStateException.class, () -> t.fit(small(1), train, null, TrainListener.NONE));
        List<String> none = new ArrayList<>();
        assertTrue(c.summary().startsWith("1 checkpoint written to "), c.summary());
        assertTrue(none.isEmpty());
    }
}
