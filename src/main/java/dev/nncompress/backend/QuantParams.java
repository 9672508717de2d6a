package dev.nncompress.backend;

import java.util.Arrays;

/**
 * The quantisation parameters of a {@link QTensor}: int8 codes q stand for {@code (q - zeroPoint) * scale}. Per
 * tensor (one scale and zero point, {@code axis} = -1) or per channel along {@code axis} of the tensor's logical
 * (NCHW) shape, one pair per channel. Validated here, once: every scale positive and finite, every zero point an
 * int8 code, so no op or kernel meets a NaN or zero scale. The arrays are copied in and must not be changed.
 */
public record QuantParams(float[] scales, int[] zeroPoints, int axis) {
    public QuantParams {
        check("quant params", scales, zeroPoints, axis, -128, 127);
        scales = scales.clone();
        zeroPoints = zeroPoints.clone();
    }

    /**
     * The one validation of scales and zero points, for these params and {@link FakeQuantSpec}: as many zero points as
     * scales (at least one; one per tensor when {@code axis} is -1), every scale positive and finite, every zero point
     * in [{@code zpMin}, {@code zpMax}]. Messages start with {@code what}.
     */
    static void check(String what, float[] scales, int[] zeroPoints, int axis, int zpMin, int zpMax) {
        if (scales == null || zeroPoints == null) throw new IllegalArgumentException(what + ": scales and zero points must not be null");
        if (scales.length == 0 || scales.length != zeroPoints.length) {
            throw new IllegalArgumentException(what + ": need as many zero points as scales (>= 1), got " + scales.length + " and " + zeroPoints.length);
        }
        if (axis < -1) throw new IllegalArgumentException(what + ": axis must be >= 0, or -1 per tensor; got " + axis);
        if (axis == -1 && scales.length != 1) throw new IllegalArgumentException(what + ": per tensor (axis -1) takes one scale, got " + scales.length);
        for (int c = 0; c < scales.length; c++) {
            if (!(scales[c] > 0) || Float.isInfinite(scales[c])) throw new IllegalArgumentException(what + ": scale[" + c + "] must be > 0 and finite, got " + scales[c]);
            if (zeroPoints[c] < zpMin || zeroPoints[c] > zpMax) {
                throw new IllegalArgumentException(what + ": zero point[" + c + "] = " + zeroPoints[c] + " outside [" + zpMin + ", " + zpMax + "]");
            }
        }
    }

    public static QuantParams perTensor(float scale, int zeroPoint) { return new QuantParams(new float[] {scale}, new int[] {zeroPoint}, -1); }

    public static QuantParams perChannel(int axis, float[] scales, int[] zeroPoints) {
        if (axis < 0) throw new IllegalArgumentException("quant params: per channel needs an axis >= 0, got " + axis);
        return new QuantParams(scales, zeroPoints, axis);
    }

    public boolean perTensor() { return axis == -1; }

    /** The one scale of per-tensor parameters. */
    public float scale() { return single("scale")[0]; }

    /** The one zero point of per-tensor parameters. */
    public int zeroPoint() {
        single("zero point");
        return zeroPoints[0];
    }

    private float[] single(String what) {
        if (!perTensor()) throw new IllegalArgumentException("quant params: per channel along axis " + axis + " has no single " + what);
        return scales;
    }

    /** The same values (records compare arrays by reference; ops compare parameters by value, e.g. to skip a requantisation). */
    public boolean sameAs(QuantParams o) {
        return o != null && axis == o.axis && Arrays.equals(scales, o.scales) && Arrays.equals(zeroPoints, o.zeroPoints);
    }

    @Override public String toString() {
        return perTensor() ? "per tensor (scale " + scales[0] + ", zero point " + zeroPoints[0] + ")" : "per channel along axis " + axis + " (" + scales.length + " channels)";
    }
}
