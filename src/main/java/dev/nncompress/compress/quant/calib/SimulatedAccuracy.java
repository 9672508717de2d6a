package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.util.ProgressListener;

import java.util.function.IntConsumer;

/**
 * Top-1 accuracy of the float graph and of its {@link SimulatedInt8} version, computed by the same loop
 * (so the two numbers differ only by quantisation).
 */
public final class SimulatedAccuracy {
    /** correct / count of the float and the simulated-int8 graph on the same images. */
    public record Result(int count, int floatCorrect, int int8Correct) {
        public double floatAccuracy() { return count == 0 ? 0 : (double) floatCorrect / count; }

        public double int8Accuracy() { return count == 0 ? 0 : (double) int8Correct / count; }

        /** int8 minus float, in percentage points. */
        public double deltaPoints() { return 100 * (int8Accuracy() - floatAccuracy()); }
    }

    private SimulatedAccuracy() {}

    public static Result measure(Graph prepared, QuantPlan plan, Dataset data, Backend backend, int batchSize) {
        return measure(prepared, plan, data, backend, batchSize, ProgressListener.NONE);
    }

    /** As {@link #measure(Graph, QuantPlan, Dataset, Backend, int)}, reporting both passes as one task of batches. */
    public static Result measure(Graph prepared, QuantPlan plan, Dataset data, Backend backend, int batchSize, ProgressListener progress) {
        int batches = Batches.of(data, batchSize).batchCount();
        try (SimulatedInt8 sim = new SimulatedInt8(prepared, plan, backend);
             ProgressListener.Task task = progress.start("accuracy float and int8", 2L * batches, "batches")) {
            int f = correct(prepared, GraphRunner.OutputHook.NONE, data, backend, batchSize, done -> task.update(done, "float"));
            int q = correct(sim.graph(), sim.hook(), data, backend, batchSize, done -> task.update(batches + done, "simulated int8"));
            return new Result(data.count(), f, q);
        }
    }

    static int correct(Graph graph, GraphRunner.OutputHook hook, Dataset data, Backend backend, int batchSize) {
        return correct(graph, hook, data, backend, batchSize, done -> { });
    }

    /** @param batchDone told the count of batches done after each */
    private static int correct(Graph graph, GraphRunner.OutputHook hook, Dataset data, Backend backend, int batchSize, IntConsumer batchDone) {
        int correct = 0;
        int done = 0;
        for (BatchIterator it = Batches.of(data, batchSize).epoch(0); it.hasNext(); ) {
            Batch b = it.next();
            float[] logits;
            int classes;
            try (GraphRunner run = new GraphRunner(graph, backend, false, 0);
                 Tensor x = backend.fromFloats(b.images(), Shape.of(b.size(), b.channels(), b.height(), b.width()))) {
                Tensor out = run.forward(x, hook);
                classes = out.shape().dim(1);
                logits = out.toFloatArray();
            }
            for (int i = 0; i < b.size(); i++) if (argmax(logits, i * classes, classes) == b.labels()[i]) correct++;
            batchDone.accept(++done);
        }
        return correct;
    }

    /** First maximum, as {@code train.Evaluator} does. */
    static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) if (v[off + k] > v[off + best]) best = k;
        return best;
    }
}
