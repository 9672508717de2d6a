package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.FakeQuantMask;
import dev.nncompress.backend.FakeQuantResult;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph that reads fake-quantised copies of some weights (per output channel) and shares every other
 * parameter with the original, which is never modified. Simulated int8 runs it for inference; QAT builds
 * one per training step from the current float weights and, after backward, hands the copies' gradients
 * to the float weights through the straight-through estimator ({@link #passGradients()}). Both are the backend's
 * fake-quantisation ops, so the copies are made where the weights live (on CUDA: by the fake-quantise kernel).
 *
 * <p>Close it to free the copies and their gradients.
 */
public final class FakeQuantizedWeights implements AutoCloseable {
    /** A fake-quantised copy of {@code source}, with where its codes were not clamped. */
    private record Copy(Parameter source, Parameter copy, FakeQuantMask inRange) {}

    private final Graph graph;
    private final List<Copy> copies = new ArrayList<>();

    /**
     * @param weights node -> parameters of its {@code <node>.weight} (per output channel)
     * @param backend where the copies live (the backend the graph runs on)
     */
    public FakeQuantizedWeights(Graph original, Map<String, QParams> weights, Backend backend) {
        Map<String, Parameter> params = new LinkedHashMap<>(original.params());
        try {
            for (Map.Entry<String, QParams> e : weights.entrySet()) {
                Parameter w = original.param(e.getKey() + ".weight");
                FakeQuantResult q = fakeQuantize(w.value(), e.getValue(), backend);
                Parameter copy = new Parameter(w.name(), q.output(), w.trainable());
                copies.add(new Copy(w, copy, q.inRange()));
                params.put(w.name(), copy);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.graph = new Graph(original.name(), original.inputShape(), original.nodes(), original.output(), params);
    }

    /** A fake-quantised copy of the weight on {@code backend}, read where it lives when that is {@code backend}, else (a graph kept elsewhere) copied over first. */
    private static FakeQuantResult fakeQuantize(Tensor w, QParams p, Backend backend) {
        if (w.owner() == backend) return backend.fakeQuantize(w, p);
        try (Tensor here = backend.fromFloats(w.toFloatArray(), w.shape())) {
            return backend.fakeQuantize(here, p);
        }
    }

    /** The graph with the fake-quantised weights. */
    public Graph graph() { return graph; }

    /**
     * Straight-through estimator for the weights: adds each copy's gradient to its float weight where the
     * weight's code was inside [-128, 127], nothing where it was clamped ({@link Backend#fakeQuantizeBackward}).
     * With ranges from the weights' own min/max, the only clamped value is a channel's positive maximum when
     * it lands exactly on code 127.5 and rounds (half to even) to 128.
     */
    public void passGradients() {
        for (Copy c : copies) {
            Tensor g = c.copy().grad();
            if (g == null) continue; // the weight did not reach the loss
            c.source().accumulateGrad(Backend.of(g).fakeQuantizeBackward(g, c.inRange()));
            c.copy().clearGrad();
        }
    }

    @Override
    public void close() {
        for (Copy c : copies) {
            c.copy().clearGrad();
            c.copy().value().close();
            c.inRange().close();
        }
        copies.clear();
    }
}
