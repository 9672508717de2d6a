package dev.nncompress.backend;

/**
 * Geometry of a 2-D convolution over NCHW input with OIHW weights (PyTorch layout), PyTorch's and ONNX's
 * general form: stride, zero padding per side, dilation and groups. Validated on construction so that
 * every backend can trust it.
 *
 * <p>{@code padH}/{@code padW} are the rows above and the columns left of the input (ONNX's pads begin
 * values); they are the offset of the first window, which is all the index arithmetic needs:
 * input row of output row {@code oy} at kernel row {@code ky} = {@code oy * strideH - padH + ky * dilationH}.
 * {@code padBottom}/{@code padRight} only lengthen the padded extent, i.e. the output size. With
 * {@code groups} g the C input and O output channels split into g groups; weight is [O, C/g, kH, kW] and
 * output channel oc reads input channels of group {@code oc / (O/g)} only (depthwise: g = C).
 */
public record Conv2dSpec(int strideH, int strideW, int padH, int padW, int padBottom, int padRight, int dilationH, int dilationW,
                         int groups) {
    public Conv2dSpec {
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("conv stride must be >= 1, got " + strideH + "x" + strideW);
        if (padH < 0 || padW < 0 || padBottom < 0 || padRight < 0) {
            throw new IllegalArgumentException("conv padding must be >= 0, got top " + padH + ", left " + padW + ", bottom " + padBottom
                    + ", right " + padRight);
        }
        if (dilationH < 1 || dilationW < 1) throw new IllegalArgumentException("conv dilation must be >= 1, got " + dilationH + "x" + dilationW);
        if (groups < 1) throw new IllegalArgumentException("conv groups must be >= 1, got " + groups);
    }

    /** Symmetric padding, no dilation, one group: the form every caller used before issue 17. */
    public Conv2dSpec(int strideH, int strideW, int padH, int padW) { this(strideH, strideW, padH, padW, padH, padW, 1, 1, 1); }

    public static Conv2dSpec of(int stride, int pad) { return new Conv2dSpec(stride, stride, pad, pad); }

    /** This spec with {@code g} groups. */
    public Conv2dSpec withGroups(int g) { return new Conv2dSpec(strideH, strideW, padH, padW, padBottom, padRight, dilationH, dilationW, g); }

    /** This spec with dilation {@code dh} x {@code dw}. */
    public Conv2dSpec withDilation(int dh, int dw) { return new Conv2dSpec(strideH, strideW, padH, padW, padBottom, padRight, dh, dw, groups); }

    /** Same padding top and bottom, left and right. */
    public boolean symmetricPads() { return padH == padBottom && padW == padRight; }

    /**
     * One group, no dilation, symmetric padding: the convolution every route had before issue 17 (oneDNN
     * through libnd4j, the sparse and int8 kernels); the others take the general routes.
     */
    public boolean plain() { return groups == 1 && dilationH == 1 && dilationW == 1 && symmetricPads(); }

    /** What makes this spec not {@link #plain()}, for messages: e.g. "4 groups, dilation 2x2, asymmetric padding"; "" when plain. */
    public String notPlain() {
        java.util.List<String> what = new java.util.ArrayList<>();
        if (groups > 1) what.add(groups + " groups");
        if (dilationH > 1 || dilationW > 1) what.add("dilation " + dilationH + "x" + dilationW);
        if (!symmetricPads()) what.add("asymmetric padding");
        return String.join(", ", what);
    }

    /** Rows the window covers: dilationH * (kH - 1) + 1 (kH >= 1), in long since a crafted dilation may overflow int. */
    public long extentH(int kh) { return (long) dilationH * (kh - 1) + 1; }

    public long extentW(int kw) { return (long) dilationW * (kw - 1) + 1; }

    public int outH(int inH, int kH) { return checkedOut(inH, kH, extentH(kH), padH, padBottom, strideH); }

    public int outW(int inW, int kW) { return checkedOut(inW, kW, extentW(kW), padW, padRight, strideW); }

    /** Symmetric padding, undilated window: the pools' output size. */
    static int checkedOut(int in, int k, int pad, int stride) { return checkedOut(in, k, k, pad, pad, stride); }

    /**
     * (in + padBefore + padAfter - extent) / stride + 1, in long: in int, a padding near 2^30 wraps the sum
     * to a small positive number and yields a plausible but wrong output size (a crafted file once reached
     * the native im2col this way). The padded extent must itself fit in an int, as every index into it does.
     */
    static int checkedOut(int in, int k, long extent, int padBefore, int padAfter, int stride) {
        if (in < 1 || k < 1) throw new IllegalArgumentException("input size " + in + " and window " + k + " must be >= 1");
        long padded = in + (long) padBefore + padAfter;
        if (padded > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padding " + padBefore + "+" + padAfter + " makes input size " + in + " overflow (" + padded
                    + " > " + Integer.MAX_VALUE + ")");
        }
        if (padded < extent) {
            throw new IllegalArgumentException("window " + k + (extent != k ? " (dilated extent " + extent + ")" : "") + " with padding "
                    + padBefore + "+" + padAfter + " does not fit input size " + in);
        }
        return (int) ((padded - extent) / stride + 1);
    }
}
