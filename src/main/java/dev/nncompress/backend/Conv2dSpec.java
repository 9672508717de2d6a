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

    static int checkedOut(int in, int k, int pad, int stride) {
        int out = (in + 2 * pad - k) / stride + 1;
        if (in + 2 * pad < k || out < 1) {
            throw new IllegalArgumentException("window " + k + " with padding " + pad + " does not fit input size " + in);
        }
        return out;
    }
}
