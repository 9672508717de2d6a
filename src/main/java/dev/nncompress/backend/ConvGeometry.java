package dev.nncompress.backend;

/**
 * Sizes of one convolution call, NCHW input [n, c, h, w], OIHW weight [o, c, kh, kw], output
 * [n, o, oh, ow]; made by {@link ArgChecks#conv} once the inputs are known to fit, shared by every
 * backend. Index helpers are row-major offsets into those tensors.
 *
 * <p>The constructor makes the int arithmetic of every helper provably safe, whoever builds one: sizes
 * >= 1 (n >= 0), the input, weight and output element counts and one image's im2col matrix
 * ({@link #ckk()} x {@link #p()}) below 2^31, and the last window inside the padded input, which
 * bounds {@link #inY}/{@link #inX} (also for a dilated window, whose extent is at least kh x kw).
 */
public record ConvGeometry(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow, Conv2dSpec spec) {
    public ConvGeometry {
        if (spec == null) throw new IllegalArgumentException("conv geometry: spec is null");
        if (n < 0 || c < 1 || h < 1 || w < 1 || o < 1 || kh < 1 || kw < 1 || oh < 1 || ow < 1) {
            throw new IllegalArgumentException("conv geometry: sizes must be >= 1 (n >= 0), got " + describe(n, c, h, w, o, kh, kw, oh, ow));
        }
        long nn = Math.max(n, 1);
        if (nn * c * h * w > Integer.MAX_VALUE || (long) o * c * kh * kw > Integer.MAX_VALUE || nn * o * oh * ow > Integer.MAX_VALUE
                || (long) c * kh * kw * oh * ow > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("conv geometry: " + describe(n, c, h, w, o, kh, kw, oh, ow) + " has a tensor of 2^31 or more elements");
        }
        long paddedH = h + 2L * spec.padH(), paddedW = w + 2L * spec.padW();
        if (paddedH > Integer.MAX_VALUE || paddedW > Integer.MAX_VALUE
                || (long) (oh - 1) * spec.strideH() + kh > paddedH || (long) (ow - 1) * spec.strideW() + kw > paddedW) {
            throw new IllegalArgumentException("conv geometry: output " + oh + "x" + ow + " does not fit input " + h + "x" + w + ", kernel "
                    + kh + "x" + kw + ", " + spec);
        }
    }

    private static String describe(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow) {
        return "input [" + n + ", " + c + ", " + h + ", " + w + "], weight [" + o + ", " + c + ", " + kh + ", " + kw + "], output " + oh + "x" + ow;
    }

    /** Length of one im2col column: c * kh * kw. */
    public int ckk() { return c * kh * kw; }

    /** Output positions per image: oh * ow. */
    public int p() { return oh * ow; }

    public double flops() { return 2.0 * n * o * ckk() * p(); }

    public int inputIndex(int b, int ch, int y, int x) { return ((b * c + ch) * h + y) * w + x; }

    public int weightIndex(int oc, int ch, int ky, int kx) { return ((oc * c + ch) * kh + ky) * kw + kx; }

    public int outputIndex(int b, int oc, int y, int x) { return ((b * o + oc) * oh + y) * ow + x; }

    /** Input row read by output row {@code outY} at kernel row {@code ky} (outside [0, h) inside the padding). */
    public int inY(int outY, int ky) { return outY * spec.strideH() - spec.padH() + ky; }

    public int inX(int outX, int kx) { return outX * spec.strideW() - spec.padW() + kx; }
}
