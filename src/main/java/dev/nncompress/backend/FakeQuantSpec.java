package dev.nncompress.backend;

import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QScheme;

import java.util.Arrays;

/**
 * The parameters of {@link Backend#fakeQuantize}, as PyTorch's {@code fake_quantize_per_tensor_affine} /
 * {@code fake_quantize_per_channel_affine} take them: scale(s), zero point(s), the channel axis (-1 per
 * tensor) and the code range [qmin, qmax]. Validated here, once, for every backend: every scale positive and
 * finite, every zero point inside [qmin, qmax], one scale per channel (one per tensor), and 8-bit codes
 * (qmax - qmin = 255: int8 [-128, 127] or uint8 [0, 255]), because our kernels compute in int8 and carry any
 * 256-code range by shifting the zero point ({@link #s8ZeroPoints()}: clamp(rint(x/s) + zp, qmin, qmax) - off
 * equals clamp(rint(x/s) + (zp - off), -128, 127) with off = qmin + 128, NaN included).
 */
public record FakeQuantSpec(float[] scales, int[] zeroPoints, int axis, int qmin, int qmax) {
    /** int8's code range, the one the kernels compute in. */
    public static final int S8_MIN = -128, S8_MAX = 127;

    public FakeQuantSpec {
        if (qmax - qmin != S8_MAX - S8_MIN) {
            throw new IllegalArgumentException("fake quantisation: codes [" + qmin + ", " + qmax + "] are not 8-bit (qmax - qmin must be 255)");
        }
        QuantParams.check("fake quantisation", scales, zeroPoints, axis, qmin, qmax);
        scales = scales.clone();
        zeroPoints = zeroPoints.clone();
    }

    /** The spec of quantisation parameters: same scales, zero points, axis and code range. */
    public static FakeQuantSpec of(QParams p) {
        QScheme s = p.scheme();
        return new FakeQuantSpec(p.scales(), p.zeroPoints(), s.perChannel() ? s.axis() : -1, s.dtype().qmin(), s.dtype().qmax());
    }

    /** One scale and zero point for the whole tensor, int8 codes. */
    public static FakeQuantSpec perTensor(float scale, int zeroPoint) {
        return new FakeQuantSpec(new float[] {scale}, new int[] {zeroPoint}, -1, S8_MIN, S8_MAX);
    }

    /** One scale and zero point per index of dimension {@code axis}, int8 codes. */
    public static FakeQuantSpec perChannel(float[] scales, int[] zeroPoints, int axis) {
        if (axis < 0) throw new IllegalArgumentException("fake quantisation per channel: axis must be >= 0, got " + axis);
        return new FakeQuantSpec(scales, zeroPoints, axis, S8_MIN, S8_MAX);
    }

    public boolean perChannel() { return axis >= 0; }

    public int channels() { return scales.length; }

    @Override public float[] scales() { return scales.clone(); }

    @Override public int[] zeroPoints() { return zeroPoints.clone(); }

    /** The zero points in int8's code range, what the kernels take (equal to {@link #zeroPoints()} for int8 codes). */
    public int[] s8ZeroPoints() {
        int off = qmin - S8_MIN;
        int[] z = zeroPoints.clone();
        for (int c = 0; c < z.length; c++) z[c] -= off;
        return z;
    }

    @Override public boolean equals(Object o) {
        return o instanceof FakeQuantSpec s && axis == s.axis && qmin == s.qmin && qmax == s.qmax && Arrays.equals(scales, s.scales)
                && Arrays.equals(zeroPoints, s.zeroPoints);
    }

    @Override public int hashCode() { return 31 * (31 * (31 * Arrays.hashCode(scales) + Arrays.hashCode(zeroPoints)) + axis) + qmin; }

    @Override public String toString() {
        return "FakeQuantSpec{scale=" + Arrays.toString(scales) + ", zero_point=" + Arrays.toString(zeroPoints) + ", axis=" + axis + ", codes=[" + qmin + ", " + qmax + "]}";
    }
}
