package dev.nncompress.backend;

/**
 * Sizes of one convolution call, NCHW input [n, c, h, w], OIHW weight [o, c, kh, kw], output
 * [n, o, oh, ow]; made by {@link ArgChecks#conv} once the inputs are known to fit, shared by every
 * backend. Index helpers are row-major offsets into those tensors.
 */
public record ConvGeometry(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow, Conv2dSpec spec) {
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
