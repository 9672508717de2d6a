package dev.nncompress.bench;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.Predictor;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.Optimizer;
import dev.nncompress.train.OptimizerConfig;

import java.util.Arrays;
import java.util.List;

/**
 * Measures images per second of training steps (forward, backward, SGD update) and of inference on
 * one backend. Runs warm-up steps first, then timed rounds, and reports the median round so that a
 * single GC pause or page-in does not decide the number.
 */
public final class Throughput {
    private Throughput() {}

    /** Median images/s and the spread of the rounds. */
    public record Result(double imagesPerSecond, double minImagesPerSecond, double maxImagesPerSecond, int batch, int rounds) {
        @Override public String toString() {
            return String.format("%,.0f img/s (rounds %,.0f..%,.0f)", imagesPerSecond, minImagesPerSecond, maxImagesPerSecond);
        }
    }

    /** @param images [batch * C*H*W] input values, labels [batch]; steps per round chosen to last ~roundSeconds */
    public static Result training(Graph g, Backend b, float[] images, int[] labels, int batch, int rounds, double roundSeconds) {
        Shape shape = inputShape(g, batch);
        try (Tensor x = b.fromFloats(Arrays.copyOf(images, shape.numel()), shape);
             Optimizer opt = new OptimizerConfig.Sgd(0.01f, 0.9f, 0, false).create()) {
            int[] y = Arrays.copyOf(labels, batch);
            List<Parameter> params = g.trainableParams();
            Runnable step = () -> {
                try (GraphRunner run = new GraphRunner(g, b, true, 0)) {
                    LossResult l = b.softmaxCrossEntropy(run.forward(x), y);
                    try (Tensor grad = l.gradLogits()) {
                        run.backward(grad);
                    }
                }
                opt.step(params, 0.01f);
                for (Parameter p : params) p.clearGrad();
            };
            return measure(step, batch, rounds, roundSeconds);
        }
    }

    public static Result inference(Graph g, Backend b, float[] images, int batch, int rounds, double roundSeconds) {
        Shape shape = inputShape(g, batch);
        try (Tensor x = b.fromFloats(Arrays.copyOf(images, shape.numel()), shape)) {
            Runnable step = () -> {
                try (GraphRunner run = new GraphRunner(g, b, false, 0)) {
                    run.forward(x).toFloatArray(); // the caller gets the logits on the heap: count that copy
                }
            };
            return measure(step, batch, rounds, roundSeconds);
        }
    }

    /** Inference of any {@link Predictor} (float graph or int8 model), images from the heap to logits on the heap. */
    public static Result inference(Predictor p, float[] images, int batch, int rounds, double roundSeconds) {
        float[] x = Arrays.copyOf(images, batch * p.inputShape().numel());
        return measure(() -> p.logits(x, batch), batch, rounds, roundSeconds);
    }

    private static Shape inputShape(Graph g, int batch) {
        int[] d = new int[g.inputShape().rank() + 1];
        d[0] = batch;
        for (int i = 0; i < g.inputShape().rank(); i++) d[i + 1] = g.inputShape().dim(i);
        return Shape.of(d);
    }

    private static Result measure(Runnable step, int batch, int rounds, double roundSeconds) {
        Timing.Result t = Timing.secondsPerCall(step, rounds, roundSeconds);
        return new Result(batch / t.median(), batch / t.slowest(), batch / t.fastest(), batch, rounds);
    }
}
