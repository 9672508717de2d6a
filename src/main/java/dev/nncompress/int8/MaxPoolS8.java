package dev.nncompress.int8;

import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;

/**
 * Max-pooling on int8 codes, NHWC. Quantisation is monotone, so the maximum of the codes is the code of
 * the maximum: the result equals quantising the float max-pool, and keeps the input's scale and zero
 * point. Positions in the padding are skipped (as the float op's -inf padding).
 */
final class MaxPoolS8 {
    private MaxPoolS8() {}

    static Activation.Codes pool(Activation.Codes x, Pool2dSpec s, Shape outShape) {
        Shape in = x.sample();
        int c = in.dim(0), h = in.dim(1), w = in.dim(2), oh = outShape.dim(1), ow = outShape.dim(2);
        byte[] src = x.data();
        byte[] y = new byte[x.n() * oh * ow * c];
        Par.forImages(x.n(), b -> {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int dst = ((b * oh + oy) * ow + ox) * c;
                    java.util.Arrays.fill(y, dst, dst + c, Byte.MIN_VALUE);
                    for (int ky = 0; ky < s.kernelH(); ky++) {
                        int iy = oy * s.strideH() - s.padH() + ky;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < s.kernelW(); kx++) {
                            int ix = ox * s.strideW() - s.padW() + kx;
                            if (ix < 0 || ix >= w) continue;
                            int at = ((b * h + iy) * w + ix) * c;
                            for (int ch = 0; ch < c; ch++) if (src[at + ch] > y[dst + ch]) y[dst + ch] = src[at + ch];
                        }
                    }
                }
            }
        });
        return new Activation.Codes(y, x.n(), outShape, x.scale(), x.zeroPoint());
    }
}
