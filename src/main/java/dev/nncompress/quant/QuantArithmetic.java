package dev.nncompress.quant;

/**
 * The int8 quantisation arithmetic (quantise, dequantise, fake-quantise and its straight-through
 * gradient): plain loops with exactly the semantics of our CUDA kernels ({@code cuda-kernels/}) and the
 * native CPU kernels, so that their results can be compared with these bit for bit. Each method names
 * its kernel. It lives below the backends because both they and the quantisation parameters
 * ({@link QParams}) compute with it. Channel of element i: {@code (i / inner) % channels} (per tensor:
 * channels = 1).
 */
public final class QuantArithmetic {
    public static final int QMIN = -128;
    public static final int QMAX = 127;

    private QuantArithmetic() {}

    /** Twin of {@code nnc_quantize_s8}: clamp(rint(x / scale) + zp, -128, 127); NaN maps to -128 as fminf/fmaxf do. */
    public static byte[] quantizeS8(float[] x, float[] scale, int[] zeroPoint, int channels, long inner) {
        checkQParams(x.length, scale, zeroPoint, channels, inner);
        byte[] q = new byte[x.length];
        for (int i = 0; i < x.length; i++) {
            int c = channel(i, channels, inner);
            q[i] = (byte) clamp(unclamped(x[i], scale[c], zeroPoint[c]));
        }
        return q;
    }

    /** The checks {@link #quantizeS8} makes on one scale and zero point. */
    public static void checkPerTensor(float scale, int zeroPoint) {
        checkQParams(1, new float[] {scale}, new int[] {zeroPoint}, 1, 1);
    }

    /** Per-tensor {@link #quantizeS8} of x[from, to) into q[from, to), for callers that split the work. */
    public static void quantizeS8Range(float[] x, int from, int to, float scale, int zeroPoint, byte[] q) {
        for (int i = from; i < to; i++) q[i] = (byte) clamp(unclamped(x[i], scale, zeroPoint));
    }

    /** Per-tensor {@link #dequantizeS8} of q[from, to) into x[from, to). */
    public static void dequantizeS8Range(byte[] q, int from, int to, float scale, int zeroPoint, float[] x) {
        for (int i = from; i < to; i++) x[i] = (float) (q[i] - zeroPoint) * scale;
    }

    /** Twin of {@code nnc_dequantize_s8}: (q - zp) * scale. */
    public static float[] dequantizeS8(byte[] q, float[] scale, int[] zeroPoint, int channels, long inner) {
        checkQParams(q.length, scale, zeroPoint, channels, inner);
        float[] x = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            int c = channel(i, channels, inner);
            x[i] = (float) (q[i] - zeroPoint[c]) * scale[c];
        }
        return x;
    }

    /**
     * Twin of {@code nnc_fake_quantize_s8}: y = dequantize(quantize(x)); {@code inRange[i]} is 1 where x
     * was not clamped (the straight-through estimator passes the gradient there and blocks it elsewhere).
     */
    public static float[] fakeQuantizeS8(float[] x, byte[] inRange, float[] scale, int[] zeroPoint, int channels, long inner) {
        checkQParams(x.length, scale, zeroPoint, channels, inner);
        if (inRange.length != x.length) throw new IllegalArgumentException("inRange has " + inRange.length + " entries for " + x.length + " values");
        float[] y = new float[x.length];
        fakeQuantizeS8Range(x, y, inRange, x.length, 0, scale, zeroPoint, channels, inner);
        return y;
    }

    /**
     * {@link #fakeQuantizeS8} of x[0, len), which are elements [first, first + len) of the tensor, into y[0, len) and
     * inRange[0, len), for callers that split the work (the CPU backend's fake quantisation, in pieces over threads).
     * Runs of one channel are plain loops, so the JIT can vectorise them. Unchecked: the caller checked the parameters.
     */
    public static void fakeQuantizeS8Range(float[] x, float[] y, byte[] inRange, int len, long first, float[] scale, int[] zeroPoint,
                                           int channels, long inner) {
        for (int i = 0; i < len; ) {
            long e = first + i;
            int c = channel(e, channels, inner);
            int end = i + (int) Math.min(len - i, inner - e % inner);
            float s = scale[c];
            int zp = zeroPoint[c];
            for (int j = i; j < end; j++) {
                float v = unclamped(x[j], s, zp);
                inRange[j] = (byte) (v >= QMIN && v <= QMAX ? 1 : 0);
                y[j] = (float) (clamp(v) - zp) * s;
            }
            i = end;
        }
    }

    /**
     * Twin of {@code nnc_fake_quantize_s8_backward}: the straight-through gradient, {@code gradOut} where
     * {@code inRange} is 1 and +0 where the forward clamped (a select, so NaN never leaks out of range).
     */
    public static float[] fakeQuantizeS8Backward(float[] gradOut, byte[] inRange) {
        if (inRange.length != gradOut.length) {
            throw new IllegalArgumentException("inRange has " + inRange.length + " entries for " + gradOut.length + " gradients");
        }
        float[] g = gradOut.clone();
        fakeQuantizeS8BackwardRange(g, inRange, 0, g.length);
        return g;
    }

    /** {@link #fakeQuantizeS8Backward} in place on g[0, len), whose mask is inRange[maskFrom, maskFrom + len) (work split over threads). */
    public static void fakeQuantizeS8BackwardRange(float[] g, byte[] inRange, int maskFrom, int len) {
        for (int i = 0; i < len; i++) g[i] = inRange[maskFrom + i] != 0 ? g[i] : 0f;
    }

    /** rint in float of the float quotient, plus the zero point in float: the kernel's arithmetic step by step. */
    private static float unclamped(float x, float scale, int zeroPoint) {
        return (float) Math.rint(x / scale) + (float) zeroPoint;
    }

    /** fminf(127, fmaxf(-128, v)) including its NaN behaviour (fmaxf returns the non-NaN operand). */
    private static int clamp(float v) {
        float lo = v >= QMIN ? v : QMIN;
        return (int) (lo <= QMAX ? lo : QMAX);
    }

    private static int channel(long i, int channels, long inner) { return (int) ((i / inner) % channels); }

    private static void checkQParams(int n, float[] scale, int[] zeroPoint, int channels, long inner) {
        if (channels < 1 || inner < 1) throw new IllegalArgumentException("channels and inner must be >= 1, got " + channels + ", " + inner);
        if (scale.length != channels || zeroPoint.length != channels) {
            throw new IllegalArgumentException(channels + " channels need " + channels + " scales and zero points, got "
                    + scale.length + " and " + zeroPoint.length);
        }
        for (int c = 0; c < channels; c++) {
            if (!(scale[c] > 0) || Float.isInfinite(scale[c])) throw new IllegalArgumentException("scale[" + c + "] must be > 0 and finite, got " + scale[c]);
            if (zeroPoint[c] < QMIN || zeroPoint[c] > QMAX) throw new IllegalArgumentException("zero point " + zeroPoint[c] + " outside [-128, 127]");
        }
        if (n % (channels * inner) != 0 && channels > 1) {
            throw new IllegalArgumentException(n + " values do not split into " + channels + " channels of " + inner);
        }
    }
}
