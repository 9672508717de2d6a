package dev.nncompress.compress.quant;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QScheme;

import org.junit.jupiter.api.Test;

import static dev.nncompress.compress.quant.QParamsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.*;

class QuantMetricsTest {
    @Test
    void knownValues() {
        float[] ones = {1, 1, 1, 1};
        float[] off = {0.9f, 1.1f, 0.9f, 1.1f};
        assertEquals(20, QuantMetrics.sqnrDb(ones, off), 1e-5, "signal 1, noise 0.01 per element");
        assertEquals(0.01, QuantMetrics.mse(ones, off), 1e-8);
        assertEquals(Double.POSITIVE_INFINITY, QuantMetrics.sqnrDb(ones, ones));
        assertEquals(Double.NEGATIVE_INFINITY, QuantMetrics.sqnrDb(new float[2], new float[] {1, 0}));
    }

    @Test
    void int8OfUniformDataGivesTheTextbookSqnr() {
        // uniform on [-1, 1], step 2/255: noise step^2/12, signal 1/3 -> SQNR = 20 log10(255) = 48.13 dB
        float[] x = Samples.uniform(61, 200_000, -1, 1);
        QParams p = QParams.fromRange(QScheme.perTensorAffine(QDType.INT8), -1f, 1f);
        assertEquals(20 * Math.log10(255), QuantMetrics.sqnrDb(x, p.fakeQuantize(x)), 0.1);
    }

    @Test
    void badInputIsRejected() {
        assertMessage("differ in length", () -> QuantMetrics.mse(new float[2], new float[3]));
        assertMessage("empty", () -> QuantMetrics.sqnrDb(new float[0], new float[0]));
        assertMessage("non-finite value at index 1", () -> QuantMetrics.mse(new float[] {0, Float.NaN}, new float[2]));
    }
}
