package dev.nncompress.backend;

/**
 * Sizes of one convolution call, NCHW input [n, c, h, w], OIHW weight [o, c / groups, kh, kw], output
 * [n, o, oh, ow], with the stride, padding, dilation and groups of {@link #spec()}; made by
 * {@link ArgChecks#conv} (or {@link #of}) once the inputs are known to fit, shared by every backend, the
 * dense and the sparse ones. Index helpers are row-major offsets into those tensors.
 *
 * <p>The constructor makes the int arithmetic of every helper provably safe, whoever builds one: sizes
 * >= 1 (n >= 0), channels divisible by the groups, the input, weight and output element counts and one
 * image's im2col matrix over all groups (c * kh * kw x {@link #p()}) below 2^31, and the last dilated
 * window inside the padded input, which bounds {@link #inY}/{@link #inX}.
 */
public record ConvGeometry(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow, Conv2dSpec spec) {
    public ConvGeometry {
        if (spec == null) throw new IllegalArgumentException("conv geometry: spec is null");
        if (n < 0 || c < 1 || h < 1 || w < 1 || o < 1 || kh < 1 || kw < 1 || oh < 1 || ow < 1) {
            throw new IllegalArgumentException("conv geometry: sizes must be >= 1 (n >= 0), got " + describe(n, c, h, w, o, kh, kw, oh, ow, spec));
        }
        int g = spec.groups();
        if (c % g != 0 || o % g != 0) {
            throw new IllegalArgumentException("conv geometry: " + g + " groups do not divide " + c + " input and " + o + " output channels");
        }
        long nn = Math.max(n, 1);
        if (nn * c * h * w > Integer.MAX_VALUE || (long) o * (c / g) * kh * kw > Integer.MAX_VALUE || nn * o * oh * ow > Integer.MAX_VALUE
                || (long) c * kh * kw * oh * ow > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("conv geometry: " + describe(n, c, h, w, o, kh, kw, oh, ow, spec) + " has a tensor of 2^31 or more elements");
        }
        long paddedH = h + (long) spec.padH() + spec.padBottom(), paddedW = w + (long) spec.padW() + spec.padRight();
        if (paddedH > Integer.MAX_VALUE || paddedW > Integer.MAX_VALUE
                || (long) (oh - 1) * spec.strideH() + spec.extentH(kh) > paddedH || (long) (ow - 1) * spec.strideW() + spec.extentW(kw) > paddedW) {
            throw new IllegalArgumentException("conv geometry: output " + oh + "x" + ow + " does not fit input " + h + "x" + w + ", kernel "
                    + kh + "x" + kw + ", " + spec);
        }
    }

    /** Validates the sizes and derives the output size; NCHW input [n, c, h, w], weight [o, c / groups, kh, kw]. */
    public static ConvGeometry of(int n, int c, int h, int w, int o, int kh, int kw, Conv2dSpec spec) {
        if (spec == null) throw new IllegalArgumentException("conv spec is null");
        try {
            return new ConvGeometry(n, c, h, w, o, kh, kw, spec.outH(h, kh), spec.outW(w, kw), spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("input [" + n + ", " + c + ", " + h + ", " + w + "], kernel " + kh + "x" + kw + ", " + spec
                    + ": " + e.getMessage(), e);
        }
    }

    private static String describe(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow, Conv2dSpec spec) {
        int g = Math.max(1, spec.groups());
        return "input [" + n + ", " + c + ", " + h + ", " + w + "], weight [" + o + ", " + (c / g) + ", " + kh + ", " + kw + "]"
                + (g > 1 ? " in " + g + " groups" : "") + ", output " + oh + "x" + ow;
    }

    public int groups() { return spec.groups(); }

    /** Input channels each output channel reads: c / groups (the weight's dimension 1). */
    public int cPerGroup() { return c / spec.groups(); }

    /** Output channels per group: o / groups. */
    public int oPerGroup() { return o / spec.groups(); }

    /** One group, each output channel reading its own input channel times a multiplier: groups == c. */
    public boolean depthwise() { return spec.groups() == c && spec.groups() > 1; }

    /** Length of one im2col column of one group: (c / groups) * kh * kw (the weight's row length). */
    public int ckk() { return cPerGroup() * kh * kw; }

    /** Output positions per image: oh * ow. */
    public int p() { return oh * ow; }

    public double flops() { return 2.0 * n * o * ckk() * p(); }

    public int inputIndex(int b, int ch, int y, int x) { return ((b * c + ch) * h + y) * w + x; }

    /** Weight element of output channel {@code oc} at input channel {@code ch} of its group (0 <= ch < c / groups). */
    public int weightIndex(int oc, int ch, int ky, int kx) { return ((oc * cPerGroup() + ch) * kh + ky) * kw + kx; }

    public int outputIndex(int b, int oc, int y, int x) { return ((b * o + oc) * oh + y) * ow + x; }

    /** Input row read by output row {@code outY} at kernel row {@code ky} (outside [0, h) inside the padding). */
    public int inY(int outY, int ky) { return outY * spec.strideH() - spec.padH() + ky * spec.dilationH(); }

    public int inX(int outX, int kx) { return outX * spec.strideW() - spec.padW() + kx * spec.dilationW(); }

    /** Number of elements of input, weight and output (each below 2^31, see the constructor). */
    public long inputSize() { return (long) n * c * h * w; }

    public long weightSize() { return (long) o * cPerGroup() * kh * kw; }

    public long outputSize() { return (long) n * o * oh * ow; }

    /** Output positions over the batch: the length of an output mask [N, OH, OW]. */
    public long maskSize() { return (long) n * oh * ow; }
}
