package dev.nncompress.compress.quant;

import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;
import dev.nncompress.tensor.Shape;

/**
 * A calibrator: sees batches of float values (a tensor's data in row-major order with its shape) and
 * chooses a float range, hence {@link QParams}. It computes only; attaching the parameters to a graph is
 * done elsewhere (house rule 3). Created by name through {@link Observers}.
 */
public interface Observer {
    /** The factory name ({@code minmax}, {@code ema}, ...), used in every error message. */
    String name();

    QScheme scheme();

    /** Adds one batch; rejects empty batches, shape mismatches and non-finite values, naming the observer. */
    void observe(float[] values, Shape shape);

    /** A batch seen as a flat vector (per tensor, or a per-channel scheme with axis 0 over a 1-D tensor). */
    default void observe(float[] values) { observe(values, Shape.of(values.length)); }

    /** The chosen range; {@link IllegalStateException} before the first batch. */
    QRange range();

    default QParams qparams() {
        QRange r = range();
        return QParams.fromRanges(scheme(), r.mins(), r.maxs());
    }
}
