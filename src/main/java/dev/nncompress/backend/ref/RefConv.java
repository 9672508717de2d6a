package dev.nncompress.backend.ref;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.Conv2dSpec;

/**
 * Direct-loop 2-D convolution (PyTorch's cross-correlation, zero padding) over NCHW input and OIHW
 * weights, in the general form of {@link Conv2dSpec}: output channel oc of group {@code oc / (O/g)}
 * reads that group's C/g input channels through a dilated window. Sums are accumulated in double and
 * rounded once per output element. This is the definition every other backend is tested against.
 */
final class RefConv {
    private RefConv() {}
    static float[] forward(ConvGeometry g, float[] x, float[] w, float[] bias) {
        float[] out = new float[g.n() * g.o() * g.oh() * g.ow()];
        for (int b = 0; b < g.n(); b++) {
            for (int oc = 0; oc < g.o(); oc++) {
                for (int oy = 0; oy < g.oh(); oy++) {
                    for (int ox = 0; ox < g.ow(); ox++) {
                        double acc = bias == null ? 0.0 : bias[oc];
                        int c0 = oc / g.oPerGroup() * g.cPerGroup(); // first input channel of oc's group
                        for (int ch = 0; ch < g.cPerGroup(); ch++) {
                            for (int ky = 0; ky < g.kh(); ky++) {
                                int iy = g.inY(oy, ky);
                                if (iy < 0 || iy >= g.h()) continue; // zero padding contributes nothing
                                for (int kx = 0; kx < g.kw(); kx++) {
                                    int ix = g.inX(ox, kx);
                                    if (ix < 0 || ix >= g.w()) continue;
                                    acc += (double) x[g.inputIndex(b, c0 + ch, iy, ix)] * w[g.weightIndex(oc, ch, ky, kx)];
                                }
                            }
                        }
                        out[g.outputIndex(b, oc, oy, ox)] = (float) acc;
                    }
                }
            }
        }
        return out;
    }

    /** Returns {dx or null, dw, db or null}. */
    static float[][] backward(ConvGeometry g, float[] x, float[] w, float[] gradOut, boolean withBias, boolean needInputGrad) {
        double[] dx = needInputGrad ? new double[x.length] : null;
        double[] dw = new double[w.length];
        double[] db = withBias ? new double[g.o()] : null;
        for (int b = 0; b < g.n(); b++) {
            for (int oc = 0; oc < g.o(); oc++) {
                for (int oy = 0; oy < g.oh(); oy++) {
                    for (int ox = 0; ox < g.ow(); ox++) {
                        double go = gradOut[g.outputIndex(b, oc, oy, ox)];
                        if (db != null) db[oc] += go;
                        int c0 = oc / g.oPerGroup() * g.cPerGroup();
                        for (int ch = 0; ch < g.cPerGroup(); ch++) {
                            for (int ky = 0; ky < g.kh(); ky++) {
                                int iy = g.inY(oy, ky);
                                if (iy < 0 || iy >= g.h()) continue;
                                for (int kx = 0; kx < g.kw(); kx++) {
                                    int ix = g.inX(ox, kx);
                                    if (ix < 0 || ix >= g.w()) continue;
                                    int xi = g.inputIndex(b, c0 + ch, iy, ix);
                                    int wi = g.weightIndex(oc, ch, ky, kx);
                                    dw[wi] += go * x[xi];
                                    if (dx != null) dx[xi] += go * w[wi];
                                }
                            }
                        }
                    }
                }
            }
        }
        return new float[][] {RefMath.toFloats(dx), RefMath.toFloats(dw), RefMath.toFloats(db)};
    }
}
