package dev.nncompress.backend;

/**
 * A convolution's geometry with dilation, which {@link Conv2dSpec} does not carry (the dense ops
 * have none): {@link #conv()} holds the sizes and index helpers, its output size computed with the
 * effective kernel extent {@code dilation * (k - 1) + 1}, which is PyTorch's formula. Input tap of
 * output row {@code oy} at kernel row {@code ky}: {@code oy * strideH - padH + ky * dilationH}.
 */
public record DilatedConvGeometry(ConvGeometry conv, int dilationH, int dilationW) {
    public DilatedConvGeometry {
        if (conv == null) throw new IllegalArgumentException("conv geometry is null");
        if (dilationH < 1 || dilationW < 1) throw new IllegalArgumentException("conv dilation must be >= 1, got " + dilationH + "x" + dilationW);
    }

    /** Validates the sizes and derives the output size; NCHW input [n, c, h, w], OIHW weight [o, c, kh, kw]. */
    public static DilatedConvGeometry of(int n, int c, int h, int w, int o, int kh, int kw, Conv2dSpec spec, int dilationH, int dilationW) {
        if (spec == null) throw new IllegalArgumentException("conv spec is null");
        if (n < 1 || c < 1 || h < 1 || w < 1 || o < 1 || kh < 1 || kw < 1) {
            throw new IllegalArgumentException("conv sizes must be >= 1, got input [" + n + ", " + c + ", " + h + ", " + w
                    + "], weight [" + o + ", " + c + ", " + kh + ", " + kw + "]");
        }
        if (dilationH < 1 || dilationW < 1) throw new IllegalArgumentException("conv dilation must be >= 1, got " + dilationH + "x" + dilationW);
        long extentH = (long) dilationH * (kh - 1) + 1;
        long extentW = (long) dilationW * (kw - 1) + 1;
        if (extentH > Integer.MAX_VALUE || extentW > Integer.MAX_VALUE) throw new IllegalArgumentException("dilated kernel extent overflows int");
        int oh;
        int ow;
        try {
            oh = spec.outH(h, (int) extentH);
            ow = spec.outW(w, (int) extentW);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("input " + h + "x" + w + ", kernel " + kh + "x" + kw + " dilated " + dilationH + "x"
                    + dilationW + ", " + spec + ": " + e.getMessage(), e);
        }
        return new DilatedConvGeometry(new ConvGeometry(n, c, h, w, o, kh, kw, oh, ow, spec), dilationH, dilationW);
    }

    /** Without dilation: the dense ops' geometry. */
    public static DilatedConvGeometry undilated(ConvGeometry g) { return new DilatedConvGeometry(g, 1, 1); }

    public int inY(int outY, int ky) { return outY * conv.spec().strideH() - conv.spec().padH() + ky * dilationH; }

    public int inX(int outX, int kx) { return outX * conv.spec().strideW() - conv.spec().padW() + kx * dilationW; }

    /** Number of elements of input, weight and output; each must stay below 2^31 (int indexing, as on the GPU). */
    public long inputSize() { return (long) conv.n() * conv.c() * conv.h() * conv.w(); }

    public long weightSize() { return (long) conv.o() * conv.c() * conv.kh() * conv.kw(); }

    public long outputSize() { return (long) conv.n() * conv.o() * conv.oh() * conv.ow(); }

    /** Output positions over the batch: the length of an output mask [N, OH, OW]. */
    public long maskSize() { return (long) conv.n() * conv.oh() * conv.ow(); }
}
