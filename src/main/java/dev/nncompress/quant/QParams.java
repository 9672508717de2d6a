package dev.nncompress.quant;

import dev.nncompress.tensor.Shape;

import java.util.Arrays;

/**
 * The one quantisation-parameter record (issue 21): the scale(s) and zero point(s) of a {@link QScheme}, for a
 * tensor's codes q that stand for {@code (q - zp) * scale}. Calibration and QAT make them ({@link #fromRanges}), the
 * int8 model stores them, a backend's {@code QTensor} carries them and its {@code fakeQuantize} takes them. Validated
 * here, once, for every user: every scale positive and finite, every zero point inside the type's range (and equal
 * to its symmetric zero point for a symmetric scheme), one pair per tensor or one per channel along the scheme's axis
 * (of the tensor's logical NCHW shape), so no op or kernel meets a NaN or zero scale. The arrays are copied in and out.
 *
 * <p>q = clamp(rint(x / scale) + zp, qmin, qmax) and x' = (q - zp) * scale are computed by
 * {@link QuantArithmetic#quantizeS8} / {@link QuantArithmetic#dequantizeS8} (the CPU twins of our kernels), so
 * what an observer promises here is bit for bit what the int8 kernels do. uint8 goes through the same
 * calls with the zero point and the codes shifted by 128 ({@link QDType#s8Offset()}, {@link #s8ZeroPoints()}); its
 * codes are returned as bytes to be read unsigned ({@code Byte.toUnsignedInt}).
 */
public record QParams(QScheme scheme, float[] scales, int[] zeroPoints) {
    /** torch.finfo(torch.float32).eps, the floor torch.ao.quantization puts under every scale (all-zero tensors). */
    public static final float EPS = 0x1p-23f;

    public QParams {
        if (scheme == null || scales == null || zeroPoints == null) throw new IllegalArgumentException("QParams: scheme, scales and zero points must not be null");
        if (scales.length == 0 || scales.length != zeroPoints.length) {
            throw new IllegalArgumentException("QParams " + scheme + ": need as many zero points as scales (>= 1), got " + scales.length + " and " + zeroPoints.length);
        }
        if (!scheme.perChannel() && scales.length != 1) throw new IllegalArgumentException("QParams " + scheme + ": a per-tensor scheme has one scale, got " + scales.length);
        QDType t = scheme.dtype();
        for (int c = 0; c < scales.length; c++) {
            if (!(scales[c] > 0) || Float.isInfinite(scales[c])) throw new IllegalArgumentException("QParams " + scheme + ": scale[" + c + "] must be > 0 and finite, got " + scales[c]);
            if (zeroPoints[c] < t.qmin() || zeroPoints[c] > t.qmax()) {
                throw new IllegalArgumentException("QParams " + scheme + ": zero point[" + c + "] = " + zeroPoints[c] + " outside [" + t.qmin() + ", " + t.qmax() + "]");
            }
            if (scheme.symmetric() && zeroPoints[c] != t.symmetricZeroPoint()) {
                throw new IllegalArgumentException("QParams " + scheme + ": a symmetric scheme has zero point " + t.symmetricZeroPoint() + ", got zero point[" + c + "] = " + zeroPoints[c]);
            }
        }
        scales = scales.clone();
        zeroPoints = zeroPoints.clone();
    }

    /** One int8 scale and zero point for the whole tensor (affine: any zero point in [-128, 127]). */
    public static QParams perTensor(float scale, int zeroPoint) {
        return new QParams(QScheme.perTensorAffine(QDType.INT8), new float[] {scale}, new int[] {zeroPoint});
    }

    /** One int8 scale and zero point per index of dimension {@code axis} (affine). */
    public static QParams perChannel(int axis, float[] scales, int[] zeroPoints) {
        return new QParams(QScheme.perChannelAffine(QDType.INT8, axis), scales, zeroPoints);
    }

    /** Per-tensor parameters for the float range [min, max]; see {@link #fromRanges}. */
    public static QParams fromRange(QScheme scheme, float min, float max) {
        if (scheme.perChannel()) throw new IllegalArgumentException("QParams.fromRange: " + scheme + " is per channel, use fromRanges");
        return fromRanges(scheme, new float[] {min}, new float[] {max});
    }

    /**
     * Parameters for the float range [min[c], max[c]] of each channel, following
     * torch.ao.quantization's {@code UniformQuantizationObserverBase._calculate_qparams} (float32 arithmetic):
     * the range is widened to include 0; symmetric: scale = max(-min, max) / ((qmax - qmin) / 2), i.e.
     * /127.5 for qint8 and quint8 alike, zero point 0 (int8) or 128 (uint8); affine: scale =
     * (max - min) / (qmax - qmin), zero point = clamp(qmin - round_half_even(min / scale)); both floored at
     * {@link #EPS} so that an all-zero tensor still gets a valid scale.
     */
    public static QParams fromRanges(QScheme scheme, float[] min, float[] max) {
        if (min.length != max.length) throw new IllegalArgumentException("QParams.fromRanges: " + min.length + " minima but " + max.length + " maxima");
        QDType t = scheme.dtype();
        float[] s = new float[min.length];
        int[] zp = new int[min.length];
        for (int c = 0; c < min.length; c++) {
            if (!Float.isFinite(min[c]) || !Float.isFinite(max[c]) || min[c] > max[c]) {
                throw new IllegalArgumentException("QParams.fromRanges " + scheme + ": channel " + c + " range [" + min[c] + ", " + max[c] + "] must be finite with min <= max");
            }
            float lo = Math.min(min[c], 0f);
            float hi = Math.max(max[c], 0f);
            if (scheme.symmetric()) {
                s[c] = Math.max(Math.max(-lo, hi) / (t.steps() / 2f), EPS);
                zp[c] = t.symmetricZeroPoint();
            } else {
                s[c] = Math.max((hi - lo) / (float) t.steps(), EPS);
                zp[c] = Math.max(t.qmin(), Math.min(t.qmax(), t.qmin() - (int) Math.rint(lo / s[c])));
            }
        }
        return new QParams(scheme, s, zp);
    }

    public int channels() { return scales.length; }

    /** The channel axis of the tensor's logical shape, or -1 ({@link QScheme#PER_TENSOR}). */
    public int axis() { return scheme.axis(); }

    public boolean perTensor() { return !scheme.perChannel(); }

    public boolean perChannel() { return scheme.perChannel(); }

    public float scale(int channel) { return scales[channel]; }

    public int zeroPoint(int channel) { return zeroPoints[channel]; }

    /** The one scale of per-tensor parameters. */
    public float scale() {
        single("scale");
        return scales[0];
    }

    /** The one zero point of per-tensor parameters. */
    public int zeroPoint() {
        single("zero point");
        return zeroPoints[0];
    }

    private void single(String what) {
        if (!perTensor()) throw new IllegalArgumentException("QParams " + scheme + " has no single " + what);
    }

    @Override public float[] scales() { return scales.clone(); }

    @Override public int[] zeroPoints() { return zeroPoints.clone(); }

    /**
     * The zero points in int8's code range, what the kernels take: clamp(rint(x/s) + zp, qmin, qmax) - off equals
     * clamp(rint(x/s) + (zp - off), -128, 127) with off = {@link QDType#s8Offset()}, NaN included; equal to
     * {@link #zeroPoints()} for int8 codes.
     */
    public int[] s8ZeroPoints() {
        int off = scheme.dtype().s8Offset();
        int[] z = zeroPoints.clone();
        for (int c = 0; c < z.length; c++) z[c] -= off;
        return z;
    }

    /**
     * The same codes for the same values: type, axis, scales and zero points equal (whether the scheme was chosen
     * symmetric does not change what the codes mean). Ops compare parameters so, e.g. to skip a requantisation.
     */
    public boolean sameAs(QParams o) {
        return o != null && scheme.dtype() == o.scheme.dtype() && axis() == o.axis() && Arrays.equals(scales, o.scales)
                && Arrays.equals(zeroPoints, o.zeroPoints);
    }

    /** Per channel the float range the codes cover, [(qmin - zp) * scale, (qmax - zp) * scale]. */
    public QRange representableRange() {
        QDType t = scheme.dtype();
        float[] lo = new float[scales.length], hi = new float[scales.length];
        for (int c = 0; c < scales.length; c++) {
            lo[c] = (t.qmin() - zeroPoints[c]) * scales[c];
            hi[c] = (t.qmax() - zeroPoints[c]) * scales[c];
        }
        return new QRange(lo, hi);
    }

    /** Codes of {@code x} (shape {@code shape}); for uint8 read them with {@code Byte.toUnsignedInt}. */
    public byte[] quantize(float[] x, Shape shape) {
        ChannelLayout l = layout(x.length, shape);
        byte[] q = QuantArithmetic.quantizeS8(x, scales, s8ZeroPoints(), l.channels(), l.inner());
        int off = scheme.dtype().s8Offset();
        if (off != 0) for (int i = 0; i < q.length; i++) q[i] = (byte) (q[i] + off);
        return q;
    }

    public float[] dequantize(byte[] q, Shape shape) {
        ChannelLayout l = layout(q.length, shape);
        int off = scheme.dtype().s8Offset();
        byte[] s8 = q;
        if (off != 0) {
            s8 = new byte[q.length];
            for (int i = 0; i < q.length; i++) s8[i] = (byte) (Byte.toUnsignedInt(q[i]) - off);
        }
        return QuantArithmetic.dequantizeS8(s8, scales, s8ZeroPoints(), l.channels(), l.inner());
    }

    /** dequantize(quantize(x)), through the fake-quantise kernel's twin. */
    public float[] fakeQuantize(float[] x, Shape shape) { return fakeQuantize(x, shape, new byte[x.length]); }

    /**
     * As {@link #fakeQuantize(float[], Shape)}, also writing into {@code inRange} 1 where the rounded code
     * was inside the type's range and 0 where it was clamped: the straight-through estimator's mask
     * ({@link QuantArithmetic#fakeQuantizeS8Backward}).
     */
    public float[] fakeQuantize(float[] x, Shape shape, byte[] inRange) {
        ChannelLayout l = layout(x.length, shape);
        return QuantArithmetic.fakeQuantizeS8(x, inRange, scales, s8ZeroPoints(), l.channels(), l.inner());
    }

    public byte[] quantize(float[] x) { return quantize(x, Shape.of(x.length)); }

    public float[] dequantize(byte[] q) { return dequantize(q, Shape.of(q.length)); }

    public float[] fakeQuantize(float[] x) { return fakeQuantize(x, Shape.of(x.length)); }

    private ChannelLayout layout(int n, Shape shape) {
        if (shape.numel() != n) throw new IllegalArgumentException("QParams: shape " + shape + " has " + shape.numel() + " elements, data has " + n);
        ChannelLayout l = ChannelLayout.of(scheme, shape);
        if (l.channels() != scales.length) {
            throw new IllegalArgumentException("QParams " + scheme + ": shape " + shape + " has " + l.channels() + " channels, parameters have " + scales.length);
        }
        return l;
    }

    @Override public boolean equals(Object o) {
        return o instanceof QParams p && scheme.equals(p.scheme) && Arrays.equals(scales, p.scales) && Arrays.equals(zeroPoints, p.zeroPoints);
    }

    @Override public int hashCode() { return 31 * (31 * scheme.hashCode() + Arrays.hashCode(scales)) + Arrays.hashCode(zeroPoints); }

    @Override public String toString() {
        return perTensor() ? "QParams{" + scheme + ", scale " + scales[0] + ", zero point " + zeroPoints[0] + "}"
                : "QParams{" + scheme + ", " + scales.length + " channels}";
    }
}
