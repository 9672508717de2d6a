package dev.nncompress.compress.quant;

/**
 * Sensitivity measures between a float reference and its quantised (dequantised) version, summed in
 * double: SQNR = 10 log10(sum ref^2 / sum (ref - approx)^2) dB (+infinity for an exact copy, -infinity
 * for a zero reference with non-zero error) and the mean squared error.
 */
public final class QuantMetrics {
    private QuantMetrics() {}

    public static double sqnrDb(float[] reference, float[] approx) {
        check(reference, approx);
        double signal = 0, noise = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = (double) reference[i] - approx[i];
            signal += (double) reference[i] * reference[i];
            noise += d * d;
        }
        if (noise == 0) return Double.POSITIVE_INFINITY;
        return 10 * Math.log10(signal / noise);
    }

    public static double mse(float[] reference, float[] approx) {
        check(reference, approx);
        double s = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = (double) reference[i] - approx[i];
            s += d * d;
        }
        return s / reference.length;
    }

    private static void check(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("QuantMetrics: arrays differ in length, " + a.length + " vs " + b.length);
        if (a.length == 0) throw new IllegalArgumentException("QuantMetrics: empty arrays");
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i]) || !Float.isFinite(b[i])) throw new IllegalArgumentException("QuantMetrics: non-finite value at index " + i + " (" + a[i] + ", " + b[i] + ")");
        }
    }
}
