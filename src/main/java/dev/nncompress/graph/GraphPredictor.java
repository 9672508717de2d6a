package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * A float graph in inference mode on one backend, as a {@link Predictor}. Pruned layers run on the
 * backend's sparse kernels where that pays off ({@link SparseInference}, decided from the weights as
 * they are when the predictor is made; {@link #sparse()} says which). Conv -> batch norm -> ReLU/Clip chains run
 * as the conv plus one in-place epilogue where the backend has one ({@link InferenceFusion}: the same values bit
 * for bit, parameters read at each call), and a call's tensors live in one {@link Backend#scope()}.
 *
 * <p>Thread-safe: each call runs its own {@link GraphRunner} (its own tensors); the graph's parameters and
 * the sparse weights are only read. At most {@link Backend#parallelCalls()} calls run at once, the others wait their turn.
 * {@link #close()} waits for calls in flight, then frees the sparse weights; later calls fail with
 * "predictor NAME is closed". The graph is not copied: do not train it while predicting.
 */
public final class GraphPredictor implements Predictor {
    private final Graph graph;
    private final Backend backend;
    private final SparseInference sparse;
    private final InferenceFusion fusion;
    private final CallGuard guard;

    /** Sparse kernels chosen automatically ({@link SparseInference.Mode#AUTO}). */
    public GraphPredictor(Graph graph, Backend backend) { this(graph, backend, SparseInference.Mode.AUTO); }

    public GraphPredictor(Graph graph, Backend backend, SparseInference.Mode mode) {
        this.graph = graph;
        this.backend = backend;
        this.sparse = SparseInference.plan(graph, backend, mode);
        this.fusion = InferenceFusion.plan(graph, sparse);
        this.guard = new CallGuard("predictor " + graph.name(), backend.parallelCalls());
    }

    /** Which layers run sparse. */
    public SparseInference sparse() { return sparse; }

    @Override public String name() { return graph.name(); }

    @Override public Shape inputShape() { return graph.inputShape(); }

    @Override
    @SuppressWarnings("try") // the guard is held, not used
    public float[] logits(float[] images, int n) {
        // the scope: every tensor of the call is closed with the runner, so the backend needs no leak backstop
        try (CallGuard.Use call = guard.enter();
             Backend.Scope scope = backend.scope();
             GraphRunner run = new GraphRunner(graph, backend, sparse, fusion);
             Tensor x = backend.fromFloats(images, batchShape(graph.inputShape(), n))) {
            return run.forward(x).toFloatArray();
        }
    }

    /** [n, sample...]. */
    public static Shape batchShape(Shape sample, int n) {
        int[] d = new int[sample.rank() + 1];
        d[0] = n;
        for (int i = 0; i < sample.rank(); i++) d[i + 1] = sample.dim(i);
        return Shape.of(d);
    }

    /** Refuses new calls, waits for those in flight, frees the sparse weights; again: nothing. */
    @Override public void close() { guard.close(sparse::close); }
}
