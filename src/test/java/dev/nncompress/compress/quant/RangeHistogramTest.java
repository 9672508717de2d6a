package dev.nncompress.compress.quant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class RangeHistogramTest {
    /** Counts a single pass over all values would give on the histogram's final grid. */
    private static long[] onePass(RangeHistogram h, float[]... batches) {
        long[] expect = new long[h.bins()];
        for (float[] b : batches) {
            for (float f : b) {
                double v = h.absolute() ? Math.abs(f) : f;
                expect[(int) ((long) Math.floor(v / h.width()) - h.firstBin())]++;
            }
        }
        return expect;
    }

    @ParameterizedTest(name = "absolute={0}")
    @ValueSource(booleans = {false, true})
    void growingTheRangeKeepsEveryEarlierCountInItsBin(boolean absolute) {
        float[] b1 = Samples.uniform(1, 3000, -0.01, 0.02);   // narrow first batch: fine grid
        float[] b2 = Samples.gaussian(2, 3000, 1);             // wider on both sides: several doublings
        float[] b3 = Samples.uniform(3, 3000, -0.5, 0.5);      // inside: no growth
        float[] b4 = Samples.uniform(4, 500, 10, 40);          // far to the right: more doublings, window moves
        float[] b5 = Samples.uniform(5, 500, -90, -80);        // far to the left
        RangeHistogram h = new RangeHistogram(256, absolute);
        double firstWidth = 0;
        float[][] all = {b1, b2, b3, b4, b5};
        for (int k = 0; k < all.length; k++) {
            h.add(all[k]);
            if (k == 0) firstWidth = h.width();
            float[][] sofar = Arrays.copyOf(all, k + 1);
            assertArrayEquals(onePass(h, sofar), h.counts(), "after batch " + (k + 1));
        }
        assertEquals(10000, h.total());
        assertEquals(10000, Arrays.stream(h.counts()).sum());
        double ratio = h.width() / firstWidth;
        assertEquals(Math.getExponent(ratio), Math.log(ratio) / Math.log(2), 1e-9, "width grows by powers of two only");
        assertTrue(ratio > 1000, "the range did grow");
        assertTrue(h.usedBins() > h.bins() / 2 - 2, "after growth the data still span half the bins or more, used " + h.usedBins());
    }

    @Test
    void anAllZeroFirstBatchIsKeptWhenRealDataArrive() {
        RangeHistogram h = new RangeHistogram(256, false);
        float[] zeros = new float[100];
        h.add(zeros);
        assertEquals(100, h.counts()[(int) -h.firstBin()]);
        float[] x = Samples.uniform(9, 1000, -3, 5);
        h.add(x);
        assertArrayEquals(onePass(h, zeros, x), h.counts());
        assertTrue(h.usedBins() >= 128, "used " + h.usedBins());
    }

    @Test
    void quantilesAreWithinOneBinOfTheSortedData() {
        float[] x = Samples.gaussian(11, 20000, 2);
        RangeHistogram h = new RangeHistogram(2048, false);
        for (int i = 0; i < x.length; i += 5000) h.add(Samples.slice(x, i, i + 5000));
        float[] sorted = x.clone();
        Arrays.sort(sorted);
        for (double f : new double[] {0.001, 0.1, 0.5, 0.9, 0.999}) {
            double exact = sorted[(int) Math.ceil(f * x.length) - 1];
            assertEquals(exact, h.quantile(f), h.width(), "quantile " + f);
        }
        assertEquals(sorted[sorted.length - 1], h.quantile(1.0), 1e-6, "the top quantile is the exact maximum");
    }
}
