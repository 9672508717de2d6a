package dev.nncompress.graph;

import dev.nncompress.tensor.Shape;

/**
 * Anything that maps a batch of images to logits: a float {@link Graph} on a backend
 * ({@link GraphPredictor}) or a converted int8 model ({@code int8.Int8Runner}). Evaluation and the
 * inference benchmark take one, so every kind of model is scored and timed the same way.
 *
 * <p>Implementations are thread-safe: one predictor may serve many threads at once, each call giving
 * bit for bit what it gives alone (at most the backend's {@code parallelCalls()} run at once, the others
 * wait their turn).
 * {@link #close()} may come from any thread: it waits for the calls in flight, frees, and every later
 * call throws {@code IllegalStateException("predictor NAME is closed")} ({@link CallGuard}).
 */
public interface Predictor extends AutoCloseable {
    /** The model's name (e.g. "student"). */
    String name();

    /** One sample's input shape, e.g. [1, 28, 28]. */
    Shape inputShape();

    /** Logits [n, classes] row-major for {@code images} [n, inputShape...] row-major. */
    float[] logits(float[] images, int n);

    /** Frees what the predictor holds (not the model it was made from), after the calls in flight; again: nothing. */
    @Override
    void close();
}
