package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Predictor;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/** Runs a graph in inference mode over a dataset and scores it. */
public final class Evaluator {
    private final Backend backend;
    private final int batchSize;

    public Evaluator(Backend backend, int batchSize) {
        Check.positive("batchSize", batchSize);
        this.backend = backend;
        this.batchSize = batchSize;
    }

    public EvalResult evaluate(Graph graph, Dataset data) { return evaluate(graph, data, TrainListener.NONE); }

    public EvalResult evaluate(Graph graph, Dataset data, TrainListener listener) {
        try (GraphPredictor p = new GraphPredictor(Logits.of(graph), backend)) { // the loss of logits; argmax is the same with a final Softmax
            return evaluate(p, data, listener);
        }
    }

    /** Scores any {@link Predictor} (a float graph, an int8 model); the loss is computed on this evaluator's backend. */
    public EvalResult evaluate(Predictor model, Dataset data, TrainListener listener) {
        int classes = data.numClasses();
        int[][] confusion = new int[classes][classes];
        int correct = 0;
        double lossSum = 0;
        Batches batches = Batches.of(data, batchSize);
        listener.epochStarted(0, 1, batches.batchCount());
        long start = System.nanoTime();
        int seen = 0;
        int step = 0;
        for (BatchIterator it = batches.epoch(0); it.hasNext(); ) {
            Batch b = it.next();
            float[] logits = model.logits(b.images(), b.size());
            if (logits.length != b.size() * classes) {
                throw new IllegalArgumentException("model " + model.name() + " has " + logits.length / b.size()
                        + " outputs but the dataset has " + classes + " classes");
            }
            try (Tensor out = backend.fromFloats(logits, Shape.of(b.size(), classes))) {
                LossResult loss = backend.softmaxCrossEntropy(out, b.labels());
                loss.gradLogits().close();
                lossSum += (double) loss.loss() * b.size();
            }
            for (int i = 0; i < b.size(); i++) {
                int pred = argmax(logits, i * classes, classes);
                int truth = b.labels()[i];
                confusion[truth][pred]++;
                if (pred == truth) correct++;
            }
            seen += b.size();
            listener.stepDone(++step, (float) (lossSum / seen), seen / ((System.nanoTime() - start) / 1e9));
        }
        double secs = (System.nanoTime() - start) / 1e9;
        return new EvalResult(seen, correct, (float) (lossSum / Math.max(1, seen)), confusion, seen / secs);
    }

    static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) if (v[off + k] > v[off + best]) best = k;
        return best;
    }
}
