package dev.nncompress.compress.quant;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QScheme;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import static dev.nncompress.compress.quant.QParamsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.*;

/** The factory and the input checks every observer shares. */
class ObserversTest {
    private static final QScheme AFF = QScheme.perTensorAffine(QDType.INT8);

    @Test
    void everyKnownNameCreatesThatObserver() {
        for (String name : Observers.NAMES) {
            Observer o = Observers.create(name, AFF);
            assertEquals(name, o.name());
            assertEquals(AFF, o.scheme());
        }
        assertInstanceOf(KlDivergenceObserver.class, Observers.create(" KL ", AFF));
        assertMessage("unknown observer 'entropy'; known: minmax, ema, percentile, mse, kl", () -> Observers.create("entropy", AFF));
    }

    @Test
    void badBatchesAreRejectedNamingTheObserver() {
        for (String name : Observers.NAMES) {
            Observer o = Observers.create(name, AFF);
            assertMessage("observer '" + name + "': NaN at index 2", () -> o.observe(new float[] {1, 2, Float.NaN, 4}));
            assertMessage("observer '" + name + "': infinite value", () -> o.observe(new float[] {Float.NEGATIVE_INFINITY}));
            assertMessage("observer '" + name + "': empty batch", () -> o.observe(new float[0]));
            assertMessage("observer '" + name + "': shape [2, 3] has 6 elements, the batch has 5", () -> o.observe(new float[5], Shape.of(2, 3)));
            IllegalStateException none = assertThrows(IllegalStateException.class, o::range);
            assertTrue(none.getMessage().contains("'" + name + "' has seen no data"), none.getMessage());
        }
    }

    @Test
    void nonsenseOptionsAreRejected() {
        assertMessage("percentile must be in [50, 100], got 150.0", () -> ObserverOptions.DEFAULTS.withPercentile(150));
        assertMessage("percentile must be in [50, 100], got 150.0", () -> new PercentileObserver(AFF, 150, 2048));
        assertMessage("percentile must be in [50, 100], got NaN", () -> ObserverOptions.DEFAULTS.withPercentile(Double.NaN));
        assertMessage("bins must be in [256,", () -> ObserverOptions.DEFAULTS.withBins(16));
        assertMessage("averaging constant must be in (0, 1], got 1.5", () -> new MovingAverageMinMaxObserver(AFF, 1.5));
        assertMessage("observer 'kl': works per tensor only", () -> new KlDivergenceObserver(QScheme.perChannelSymmetric(QDType.INT8, 0)));
        assertMessage("observer 'minmax': axis 2 of", () -> new MinMaxObserver(QScheme.perChannelSymmetric(QDType.INT8, 2)).observe(new float[4], Shape.of(2, 2)));
        Observer o = Observers.weightObserver();
        o.observe(new float[6], Shape.of(3, 2));
        assertMessage("batch has 2 channels, earlier batches had 3", () -> o.observe(new float[6], Shape.of(2, 3)));
    }
}
