package dev.nncompress.compress.quant;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link MovingAverageMinMaxObserver#observeMinMax}, QAT's per-tensor path (issue 23): a batch given as its min and max
 * moves the average exactly as the batch's values do, and bad reductions are refused as bad batches are.
 */
class ObserveMinMaxTest {
    private static final QScheme PER_TENSOR = QScheme.perTensorAffine(QDType.INT8);

    @Test
    void aReducedBatchMovesTheAverageAsItsValues() {
        float[][] batches = {{0.5f, -1.25f, 3f, 0f}, {7f, 2f, 2f, 2f}, {-0f, 0f, 0.125f, 0.25f}};
        MovingAverageMinMaxObserver byValues = new MovingAverageMinMaxObserver(PER_TENSOR, 0.2, QRange.of(-1, 1));
        MovingAverageMinMaxObserver byRange = new MovingAverageMinMaxObserver(PER_TENSOR, 0.2, QRange.of(-1, 1));
        for (float[] b : batches) {
            byValues.observe(b, Shape.of(1, b.length));
            float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
            for (float v : b) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
            byRange.observeMinMax(lo, hi);
            assertArrayEquals(byValues.range().mins(), byRange.range().mins(), 0f);
            assertArrayEquals(byValues.range().maxs(), byRange.range().maxs(), 0f);
        }
    }

    @Test
    void badReductionsAndPerChannelSchemesAreRefused() {
        MovingAverageMinMaxObserver o = new MovingAverageMinMaxObserver(PER_TENSOR, 0.1, QRange.of(0, 1));
        assertThrows(IllegalArgumentException.class, () -> o.observeMinMax(Float.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> o.observeMinMax(0, Float.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> o.observeMinMax(2, 1));
        MovingAverageMinMaxObserver perChannel = new MovingAverageMinMaxObserver(QScheme.perChannelSymmetric(QDType.INT8, 0), 0.1);
        assertThrows(IllegalArgumentException.class, () -> perChannel.observeMinMax(0, 1));
    }
}
