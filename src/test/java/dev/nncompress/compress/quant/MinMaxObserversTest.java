package dev.nncompress.compress.quant;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** minmax and ema, per tensor and per channel. */
class MinMaxObserversTest {
    @Test
    void minMaxOfUniformDataIsTheExactExtremes() {
        float[] x = Samples.uniform(21, 30000, -1.5, 2.5);
        Observer o = Observers.create("minmax", QScheme.perTensorAffine(QDType.INT8));
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        for (int i = 0; i < x.length; i += 7000) o.observe(Samples.slice(x, i, Math.min(x.length, i + 7000)));
        assertEquals(QRange.of(lo, hi), o.range());
        assertTrue(lo < -1.49 && hi > 2.49, "uniform samples reach the ends of [-1.5, 2.5]");
        assertEquals(QParams.fromRange(QScheme.perTensorAffine(QDType.INT8), lo, hi), o.qparams());
    }

    @Test
    void weightObserverIsSymmetricPerOutputChannel() {
        // OIHW [4, 3, 3, 3]; channel o has values scaled by (o + 1), channel 2 all negative
        int out = 4, per = 27;
        float[] w = Samples.gaussian(22, out * per, 1);
        for (int o = 0; o < out; o++) for (int i = 0; i < per; i++) w[o * per + i] *= (o + 1);
        for (int i = 0; i < per; i++) w[2 * per + i] = -Math.abs(w[2 * per + i]);
        Observer obs = Observers.weightObserver();
        obs.observe(w, Shape.of(out, 3, 3, 3));
        QParams p = obs.qparams();
        assertEquals(out, p.channels());
        for (int o = 0; o < out; o++) {
            float maxAbs = 0;
            for (int i = 0; i < per; i++) maxAbs = Math.max(maxAbs, Math.abs(w[o * per + i]));
            assertEquals(maxAbs / 127.5f, p.scale(o), "channel " + o);
            assertEquals(0, p.zeroPoint(o));
        }
        float[] y = p.fakeQuantize(w, Shape.of(out, 3, 3, 3));
        for (int i = 0; i < w.length; i++) assertTrue(Math.abs(y[i] - w[i]) <= p.scale(i / per) / 2 * (1 + 1e-5f));
    }

    @Test
    void movingAverageFollowsTorchsUpdate() {
        QScheme s = QScheme.perChannelAffine(QDType.UINT8, 1);
        Observer o = Observers.create("ema", s);
        float[][] batches = {Samples.uniform(1, 24, -1, 1), Samples.uniform(2, 24, -3, 5), Samples.uniform(3, 24, 0, 0.5)};
        float[] min = null, max = null;
        for (float[] b : batches) {
            o.observe(b, Shape.of(4, 2, 3));   // channels along axis 1: element i is in channel (i / 3) % 2
            float[] bmin = {Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY}, bmax = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
            for (int i = 0; i < b.length; i++) {
                int c = (i / 3) % 2;
                bmin[c] = Math.min(bmin[c], b[i]);
                bmax[c] = Math.max(bmax[c], b[i]);
            }
            if (min == null) {
                min = bmin;
                max = bmax;
            } else {
                for (int c = 0; c < 2; c++) {
                    min[c] = min[c] + 0.01f * (bmin[c] - min[c]);
                    max[c] = max[c] + 0.01f * (bmax[c] - max[c]);
                }
            }
            assertEquals(new QRange(min, max), o.range());
        }
        assertNotEquals(o.range().maxs()[0], 5f, "a single wide batch moves the average by 1% only");
    }

    @Test
    void movingAverageCanStartFromAGivenRange() {
        QScheme s = QScheme.perTensorAffine(QDType.INT8);
        MovingAverageMinMaxObserver o = new MovingAverageMinMaxObserver(s, 0.5, QRange.of(-1f, 3f));
        assertEquals(QRange.of(-1f, 3f), o.range(), "usable before any batch");
        o.observe(new float[] {-3f, 1f});
        assertEquals(QRange.of(-2f, 2f), o.range(), "the first batch averages with the start instead of replacing it");

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> new MovingAverageMinMaxObserver(s, 0.5, QRange.of(2f, 1f)));
        assertTrue(bad.getMessage().contains("observer 'ema'") && bad.getMessage().contains("min <= max"), bad.getMessage());
        MovingAverageMinMaxObserver perChannel = new MovingAverageMinMaxObserver(QScheme.perChannelSymmetric(QDType.INT8, 0), 0.5,
                new QRange(new float[] {-1, -1}, new float[] {1, 1}));
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class, () -> perChannel.observe(new float[6], Shape.of(3, 2)));
        assertTrue(channels.getMessage().contains("3 channels, the range has 2"), channels.getMessage());
    }
}
