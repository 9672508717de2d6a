package dev.nncompress.backend;

/** Window geometry of a 2-D max or average pool over NCHW input; padding is never counted in averages. */
public record Pool2dSpec(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
    public Pool2dSpec {
        if (kernelH < 1 || kernelW < 1) throw new IllegalArgumentException("pool kernel must be >= 1, got " + kernelH + "x" + kernelW);
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("pool stride must be >= 1, got " + strideH + "x" + strideW);
        if (padH < 0 || padW < 0 || 2L * padH > kernelH || 2L * padW > kernelW) {
            throw new IllegalArgumentException("pool padding must be in [0, kernel/2], got " + padH + "x" + padW);
        }
    }

    /** The usual square pool whose stride equals its size (maxpool 2 = 2x2 stride 2). */
    public static Pool2dSpec square(int k) { return new Pool2dSpec(k, k, k, k, 0, 0); }

    public int outH(int inH) { return Conv2dSpec.checkedOut(inH, kernelH, padH, strideH); }

    public int outW(int inW) { return Conv2dSpec.checkedOut(inW, kernelW, padW, strideW); }
}
