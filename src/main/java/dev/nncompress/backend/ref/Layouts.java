package dev.nncompress.backend.ref;

import dev.nncompress.tensor.Shape;

/**
 * NCHW <-> NHWC transposes for the int8 engine, which keeps images NHWC so that a convolution's im2col
 * rows are contiguous channel runs and its GEMM output (one row per position) is already the next layer's
 * input.
 */
final class Layouts {
    private Layouts() {}

    static float[] nhwcToNchw(float[] x, int n, Shape chw) {
        int c = chw.dim(0), hw = chw.dim(1) * chw.dim(2);
        float[] y = new float[x.length];
        if (c == 1) return x.clone();
        Par.forImages(n, b -> {
            int base = b * c * hw;
            for (int p = 0; p < hw; p++) for (int ch = 0; ch < c; ch++) y[base + ch * hw + p] = x[base + p * c + ch];
        });
        return y;
    }

    static float[] nchwToNhwc(float[] x, int n, Shape chw) {
        int c = chw.dim(0), hw = chw.dim(1) * chw.dim(2);
        float[] y = new float[x.length];
        if (c == 1) return x.clone();
        Par.forImages(n, b -> {
            int base = b * c * hw;
            for (int p = 0; p < hw; p++) for (int ch = 0; ch < c; ch++) y[base + p * c + ch] = x[base + ch * hw + p];
        });
        return y;
    }

    /** OIHW weight codes to [O, kh, kw, C], the column order of the NHWC im2col. */
    static byte[] oihwToOhwi(byte[] w, Shape oihw) {
        int o = oihw.dim(0), c = oihw.dim(1), kh = oihw.dim(2), kw = oihw.dim(3);
        byte[] y = new byte[w.length];
        for (int oc = 0; oc < o; oc++)
            for (int ch = 0; ch < c; ch++)
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) y[((oc * kh + ky) * kw + kx) * c + ch] = w[((oc * c + ch) * kh + ky) * kw + kx];
        return y;
    }
}
