package dev.nncompress.compress.quant.calib;

/**
 * {@code QuantMetrics.sqnrDb} and {@code mse} accumulated over batches (the reference tensors of a whole
 * report do not fit in memory at once): sums of ref^2 and (ref - approx)^2 in double, so the result is
 * that of QuantMetrics on the concatenated arrays up to summation order.
 */
final class ErrorSums {
    private double signal;
    private double noise;
    private long count;

    void add(float[] ref, float[] approx) {
        if (ref.length != approx.length) throw new IllegalArgumentException("ErrorSums: arrays differ in length, " + ref.length + " vs " + approx.length);
        for (int i = 0; i < ref.length; i++) {
            double d = (double) ref[i] - approx[i];
            signal += (double) ref[i] * ref[i];
            noise += d * d;
        }
        count += ref.length;
    }

    /** +infinity for an exact copy, as QuantMetrics. */
    double sqnrDb() { return noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal / noise); }

    double mse() { return count == 0 ? 0 : noise / count; }
}
