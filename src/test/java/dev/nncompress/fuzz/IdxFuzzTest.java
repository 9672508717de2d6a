package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.DatasetException;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.models.Models;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.TrainListener;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.file.Path;

/**
 * Fashion-MNIST-style IDX pairs (image file + label file, plain or gzip; {@link IdxPairInput}) loaded with
 * {@code FashionMnist.load} as {@code eval}, {@code train} and the rest do, then scored by the untrained
 * student as {@code eval} does. Loading may only fail with a {@link DatasetException} naming a file;
 * scoring data that does not fit the model (other image sizes, more classes than outputs) may only fail
 * with an {@code IllegalArgumentException} (the CLI's usage error) saying so in one line.
 * Regression mode runs the seeds in {@code IdxFuzzTestInputs/idxPair/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class IdxFuzzTest {
    private static GraphPredictor student;

    private static synchronized GraphPredictor student() {
        if (student == null) {
            Graph g = Models.student(FuzzRun.cpu(), 0);
            student = new GraphPredictor(g, FuzzRun.cpu());
        }
        return student;
    }

    @FuzzTest(maxDuration = "1m")
    void idxPair(byte[] input) {
        IdxPairInput in = IdxPairInput.decode(input);
        Path labels = FuzzRun.write("idxPair", "labels-idx1-ubyte" + (in.gzipLabels() ? ".gz" : ""), in.labelFile());
        Path images = FuzzRun.write("idxPair", "images-idx3-ubyte" + (in.gzipImages() ? ".gz" : ""), in.imageFile());
        Dataset data;
        try {
            data = FashionMnist.load(images, labels, in.limit());
        } catch (DatasetException e) {
            FuzzRun.requireNamesFile(e, images, labels);
            return;
        }
        try {
            new Evaluator(FuzzRun.cpu(), 8).evaluate(student(), data, TrainListener.NONE);
        } catch (IllegalArgumentException e) {
            boolean fits = data.channels() == 1 && data.height() == 28 && data.width() == 28 && data.numClasses() <= 10;
            if (fits || e.getMessage() == null || e.getMessage().contains("\n")) throw e;
        }
    }
}
