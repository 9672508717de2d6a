package dev.nncompress.backend;

/**
 * Geometry of a 2-D convolution over NCHW input with OIHW weights (PyTorch layout). Validated on
 * construction so that every backend can trust it.
 */
public record Conv2dSpec(int strideH, int strideW, int padH, int padW) {
    public Conv2dSpec {
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("conv stride must be >= 1, got " + strideH + "x" + strideW);
        if (padH < 0 || padW < 0) throw new IllegalArgumentException("conv padding must be >= 0, got " + padH + "x" + padW);
    }

    public static Conv2dSpec of(int stride, int pad) { return new Conv2dSpec(stride, stride, pad, pad); }

    public int outH(int inH, int kH) { return checkedOut(inH, kH, padH, strideH); }

    public int outW(int inW, int kW) { return checkedOut(inW, kW, padW, strideW); }

    /**
     * (in + 2 pad - k) / stride + 1, in long: in int, a padding near 2^30 wraps {@code in + 2 * pad} to a
     * small positive number and yields a plausible but wrong output size (a crafted file once reached the
     * native im2col this way). The padded extent must itself fit in an int, as every index into it does.
     */
    static int checkedOut(int in, int k, int pad, int stride) {
        if (in < 1 || k < 1) throw new IllegalArgumentException("input size " + in + " and window " + k + " must be >= 1");
        long padded = in + 2L * pad;
        if (padded > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padding " + pad + " makes input size " + in + " overflow (" + padded + " > " + Integer.MAX_VALUE + ")");
        }
        if (padded < k) throw new IllegalArgumentException("window " + k + " with padding " + pad + " does not fit input size " + in);
        return (int) ((padded - k) / stride + 1);
    }
}
