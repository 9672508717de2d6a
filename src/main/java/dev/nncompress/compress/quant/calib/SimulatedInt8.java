package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.quant.QParams;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A measurement tool, not the int8 engine: the prepared float graph with every planned weight replaced by
 * its per-channel fake-quantised copy, and a {@link GraphRunner.OutputHook} that fake-quantises every
 * planned activation ({@link QParams#fakeQuantize}, i.e. {@code ReferenceOps.fakeQuantizeS8}) before the
 * next node reads it. Up to float rounding of the accumulation and of the requantisation (float here,
 * fixed point in the engine) this is what a faithful int8 engine computes, so its accuracy is the one
 * the engine should reach. Activations round-trip through the host ({@code toFloatArray}), so it is slow
 * on a GPU backend, which is fine for a report.
 *
 * <p>Close it to free the fake-quantised weight copies; the original graph is never modified.
 */
public final class SimulatedInt8 implements AutoCloseable {
    private final Graph graph;
    private final QuantPlan plan;
    private final Backend backend;
    private final List<Tensor> ownWeights = new ArrayList<>();

    public SimulatedInt8(Graph prepared, QuantPlan plan, Backend backend) {
        this.plan = plan;
        this.backend = backend;
        Map<String, Parameter> params = new LinkedHashMap<>(prepared.params());
        for (Map.Entry<String, QParams> e : plan.weights().entrySet()) {
            Parameter w = prepared.param(e.getKey() + ".weight");
            Tensor q = backend.fromFloats(e.getValue().fakeQuantize(w.value().toFloatArray(), w.value().shape()), w.value().shape());
            ownWeights.add(q);
            params.put(w.name(), new Parameter(w.name(), q, w.trainable()));
        }
        // the other parameters are shared, not copied: the simulated graph only reads them
        this.graph = new Graph(prepared.name(), prepared.inputShape(), prepared.nodes(), prepared.output(), params);
    }

    /** The graph with fake-quantised weights; run it with {@link #hook()}. */
    public Graph graph() { return graph; }

    /** Fake-quantises the planned activations (aliases again, which is a no-op on values already on the grid). */
    public GraphRunner.OutputHook hook() {
        return (node, t) -> {
            QParams p = plan.activations().get(node);
            if (p == null) return t;
            return backend.fromFloats(p.fakeQuantize(t.toFloatArray(), t.shape()), t.shape());
        };
    }

    public QuantPlan plan() { return plan; }

    @Override
    public void close() {
        for (Tensor t : ownWeights) t.close();
        ownWeights.clear();
    }
}
