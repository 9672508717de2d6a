package dev.nncompress.compress.quant;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The MSE observer's choice equals a brute-force search of the histogram's quantisation MSE, written out here. */
class MseObserverTest {
    /** sum over bins of count * (centre - dequantize(quantize(centre)))^2, the arithmetic spelled out. */
    private static double bruteError(RangeHistogram h, QParams p) {
        double e = 0;
        QDType t = p.scheme().dtype();
        float s = p.scale(0);
        int zp = p.zeroPoint(0);
        for (int i = 0; i < h.bins(); i++) {
            if (h.count(i) == 0) continue;
            float c = (float) ((h.firstBin() + i + 0.5) * h.width());
            float v = (float) Math.rint(c / s) + (float) zp;
            int q = (int) Math.max(t.qmin(), Math.min(t.qmax(), v));
            float deq = (float) (q - zp) * s;
            e += h.count(i) * ((double) c - deq) * ((double) c - deq);
        }
        return e;
    }

    private static float[] data(long seed) {
        float[] x = Samples.gaussian(seed, 200_000, 1);
        for (int i = 0; i < x.length; i++) x[i] = x[i] * 0.8f + 0.6f;   // asymmetric: mean 0.6
        x[12345] = 14f;
        x[54321] = -6f;
        return x;
    }

    @Test
    void symmetricSearchEqualsBruteForceOverAllEdges() {
        QScheme scheme = QScheme.perTensorSymmetric(QDType.INT8);
        MseObserver o = new MseObserver(scheme);
        float[] x = data(41);
        for (int i = 0; i < x.length; i += 50_000) o.observe(Samples.slice(x, i, i + 50_000));
        RangeHistogram h = o.histogram;
        float maxAbs = 14f;
        double best = Double.POSITIVE_INFINITY;
        float bestT = 0;
        for (int j = 1; j <= h.usedBins(); j++) {
            float t = Math.min((float) (j * h.width()), maxAbs);
            double e = bruteError(h, QParams.fromRange(scheme, -t, t));
            if (e < best) {
                best = e;
                bestT = t;
            }
        }
        assertEquals(QRange.of(-6f, bestT), o.range());
        assertTrue(bestT > 3 && bestT < 14, "clips the +14 outlier, t = " + bestT);
    }

    @Test
    void affineSearchEqualsBruteForceOverAllEdgePairs() {
        QScheme scheme = QScheme.perTensorAffine(QDType.UINT8);
        MseObserver o = new MseObserver(scheme, 256, 1000);   // 256 bins and no thinning: the grid is every edge pair
        float[] x = data(42);
        o.observe(x);
        RangeHistogram h = o.histogram;
        long first = h.firstBin();
        long last = first + h.usedBins();
        double best = Double.POSITIVE_INFINITY;
        float bestLo = 0, bestHi = 0;
        for (long kl = 0; kl >= first; kl--) {
            for (long kh = 0; kh <= last; kh++) {
                float lo = Math.max((float) (kl * h.width()), -6f);
                float hi = Math.min((float) (kh * h.width()), 14f);
                if (lo == 0 && hi == 0) continue;
                double e = bruteError(h, QParams.fromRange(scheme, lo, hi));
                if (e < best) {
                    best = e;
                    bestLo = lo;
                    bestHi = hi;
                }
            }
        }
        assertEquals(QRange.of(bestLo, bestHi), o.range());
        assertTrue(bestHi < 14 && bestLo > -6, "clips both outliers: " + o.range());
    }

    /** A sigmoid's output (all in (0.3, 1)): before the fix the candidates below its minimum gave lo 0.3 > hi 0 and threw. */
    @Test
    void affineSearchOnAnAllPositiveTensor() {
        MseObserver o = new MseObserver(QScheme.perTensorAffine(QDType.INT8));
        float[] x = new float[4096];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < x.length; i++) x[i] = 0.3f + 0.7f * r.nextFloat();
        o.observe(x);
        QRange range = o.range();
        assertTrue(range.min() <= range.max() && range.max() > 0.9f && range.max() <= 1f, "range " + range);
        assertTrue(o.qparams().scale(0) > 0);
    }

    @Test
    void thinnedGridKeepsBothEnds() {
        assertArrayEquals(new long[] {-3, -2, -1, 0}, MseObserver.thinned(-3, 0, 10));
        long[] t = MseObserver.thinned(0, 1000, 5);
        assertArrayEquals(new long[] {0, 250, 500, 750, 1000}, t);
    }
}
