package dev.nncompress.compress.quant;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QScheme;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** percentile, mse and kl on a Gaussian with one far outlier: they clip, min/max does not. */
class ClippingObserversTest {
    private static final QScheme SYM = QScheme.perTensorSymmetric(QDType.INT8);
    private static final int N = 1_000_000;
    private static final float OUTLIER = 50f;
    private static float[] x;

    @BeforeAll
    static void data() {
        // 1M N(0,1) values and one at +50, in the middle so that the histograms must grow mid-way
        x = Samples.gaussian(31, N, 1);
        x[N / 2 + 17] = OUTLIER;
    }

    private static Observer fed(String name, QScheme scheme) {
        Observer o = Observers.create(name, scheme);
        for (int i = 0; i < N; i += 100_000) o.observe(Samples.slice(x, i, i + 100_000));
        return o;
    }

    @Test
    void minMaxKeepsTheOutlierTheOthersClipWellBelowIt() {
        assertEquals(OUTLIER, fed("minmax", SYM).range().max());
        float ema = fed("ema", SYM).range().max();
        assertTrue(ema > 4 && ema < 6, "ema moves only 1% of the way towards the outlier batch's maximum: " + ema);
        float pct = fed("percentile", SYM).range().max();
        float mse = fed("mse", SYM).range().max();
        float kl = fed("kl", SYM).range().max();
        assertTrue(pct > 3 && pct < 5, "99.99th percentile of |N(0,1)| is 3.89, got " + pct);
        // MSE trades the outlier's clipping error against rounding error: with 1M inliers and one outlier
        // at 50, (50 - t)^2 ~ 1e6 * (t / 127.5)^2 / 12 puts t near 50 / 6 (Gaussian tail negligible)
        assertTrue(mse > 4 && mse < 12, "mse threshold " + mse);
        assertTrue(kl > 3 && kl < 12, "kl threshold " + kl);
    }

    @Test
    void percentileIsWithinABinOfTheSortedData() {
        PercentileObserver o = (PercentileObserver) fed("percentile", SYM);
        float[] abs = new float[N];
        for (int i = 0; i < N; i++) abs[i] = Math.abs(x[i]);
        Arrays.sort(abs);
        double exact = abs[(int) Math.ceil(0.9999 * N) - 1];
        assertEquals(exact, o.range().max(), o.histogram.width());
    }

    @Test
    void clippingRaisesTheSqnrOfTheInliers() {
        float[] inliers = Samples.slice(x, 0, N / 2);   // the half without the outlier
        double minmax = QuantMetrics.sqnrDb(inliers, fed("minmax", SYM).qparams().fakeQuantize(inliers));
        double mse = QuantMetrics.sqnrDb(inliers, fed("mse", SYM).qparams().fakeQuantize(inliers));
        assertTrue(mse > minmax + 10, "mse " + mse + " dB vs minmax " + minmax + " dB");
    }
}
