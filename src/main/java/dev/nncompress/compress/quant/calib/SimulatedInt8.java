package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.quant.QuantArithmetic;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A measurement tool, not the int8 engine: the prepared float graph with every planned weight replaced by
 * its per-channel fake-quantised copy, the bias of each such layer whose input is planned moved onto the int32 grid
 * of its accumulator ({@link Int32GridBiases}, what the engine and ONNX's QLinearConv add), and a {@link GraphRunner.OutputHook} that fake-quantises every
 * planned activation ({@link QParams#fakeQuantize}, i.e. {@code QuantArithmetic.fakeQuantizeS8}) before the
 * next node reads it. Up to float rounding of the accumulation and of the requantisation (float here,
 * fixed point in the engine) this is what a faithful int8 engine computes, so its accuracy is the one
 * the engine should reach. Activations round-trip through the host ({@code toFloatArray}), so it is slow
 * on a GPU backend, which is fine for a report.
 *
 * <p>Close it to free the fake-quantised weight copies; the original graph is never modified.
 */
public final class SimulatedInt8 implements AutoCloseable {
    private final QuantPlan plan;
    private final FakeQuantizedWeights weights;
    private final Graph graph;
    /** The int32-grid bias copies this owns (closed with it). */
    private final Int32GridBiases biases;

    public SimulatedInt8(Graph prepared, QuantPlan plan, Backend backend) {
        this.plan = plan;
        this.weights = new FakeQuantizedWeights(prepared, plan.weights(), backend);
        try {
            this.biases = new Int32GridBiases(prepared, plan.weights(), backend);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
        plan.activations().forEach(biases::inputQuantised);
        Map<String, Parameter> params = new LinkedHashMap<>(weights.graph().params());
        params.putAll(biases.params());
        this.graph = new Graph(prepared.name(), prepared.inputShape(), prepared.nodes(), prepared.output(), params);
    }

    /** The graph with fake-quantised weights and int32-grid biases; run it with {@link #hook()}. */
    public Graph graph() { return graph; }

    /** Fake-quantises the planned activations (aliases again, which is a no-op on values already on the grid). */
    public GraphRunner.OutputHook hook() { return FakeQuantizeHook.forInference(plan.activations()); }

    public QuantPlan plan() { return plan; }

    @Override
    public void close() {
        biases.close();
        weights.close();
    }
}
