package dev.nncompress.api;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.Provenance;
import dev.nncompress.models.Models;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The README's library example, line for line, on slices of the data (3,000 train, 1,000 test). */
class ReadmeExampleTest {
    @TempDir Path dir;

    @Test
    void readmeSnippetRuns() {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed");
        Backend backend = Backends.defaultBackend();
        Dataset train = FashionMnist.train(FashionMnist.DEFAULT_DIR, 3000);
        Dataset test = FashionMnist.test(FashionMnist.DEFAULT_DIR, 1000);

        Graph student = Models.student();
        new Trainer(backend, TrainConfig.sgdDefaults(3, 42)).fit(student, train, test, TrainListener.NONE);
        EvalResult r = new Evaluator(backend, 256).evaluate(student, test);
        Path out = dir.resolve("student.safetensors");
        ModelIO.save(student, out, Provenance.collect(Map.of("seed", "42")));

        assertTrue(r.accuracy() > 0.70f, "accuracy " + r.accuracy()); // ~75% from 3k images in 3 epochs
        assertEquals(r.accuracy(), new Evaluator(backend, 100).evaluate(ModelIO.load(out, backend).graph(), test).accuracy(), 1e-6f);
    }
}
