package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.quant.QParams;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;

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
    private final QuantPlan plan;
    private final FakeQuantizedWeights weights;

    public SimulatedInt8(Graph prepared, QuantPlan plan, Backend backend) {
        this.plan = plan;
        this.weights = new FakeQuantizedWeights(prepared, plan.weights(), backend);
    }

    /** The graph with fake-quantised weights; run it with {@link #hook()}. */
    public Graph graph() { return weights.graph(); }

    /** Fake-quantises the planned activations (aliases again, which is a no-op on values already on the grid). */
    public GraphRunner.OutputHook hook() { return FakeQuantizeHook.of(plan.activations()); }

    public QuantPlan plan() { return plan; }

    @Override
    public void close() { weights.close(); }
}
