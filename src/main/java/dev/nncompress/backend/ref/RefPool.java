package dev.nncompress.backend.ref;

import dev.nncompress.backend.PoolGeometry;
import dev.nncompress.backend.Pool2dSpec;

/**
 * Max and average pooling over NCHW planes. Windows are scanned row by row (ky outer, kx inner),
 * positions in the padding are skipped: they never win a max and count in an average's divisor only
 * with count_include_pad ({@link PoolGeometry#divisor}). Ceil mode and asymmetric padding only change
 * the output size and where windows start, both given by the geometry.
 */
final class RefPool {
    private RefPool() {}
    /**
     * Index inside the plane of the window's maximum: the first one in scan order on ties; a NaN
     * wins (and propagates) as in PyTorch. -1 if the window holds no input position.
     */
    private static int argMax(PoolGeometry g, float[] x, int planeBase, int oy, int ox) {
        int best = -1;
        float bestValue = 0f;
        for (int ky = 0; ky < g.spec().kernelH(); ky++) {
            int iy = g.y0(oy) + ky;
            if (iy < 0 || iy >= g.h()) continue;
            for (int kx = 0; kx < g.spec().kernelW(); kx++) {
                int ix = g.x0(ox) + kx;
                if (ix < 0 || ix >= g.w()) continue;
                int idx = iy * g.w() + ix;
                float v = x[planeBase + idx];
                if (best < 0 || v > bestValue || (Float.isNaN(v) && !Float.isNaN(bestValue))) {
                    best = idx;
                    bestValue = v;
                }
            }
        }
        return best;
    }

    static float[] maxForward(PoolGeometry g, float[] x) {
        float[] out = new float[g.planes() * g.oh() * g.ow()];
        int o = 0;
        for (int p = 0; p < g.planes(); p++) {
            int base = p * g.h() * g.w();
            for (int oy = 0; oy < g.oh(); oy++) {
                for (int ox = 0; ox < g.ow(); ox++) {
                    int idx = argMax(g, x, base, oy, ox);
                    out[o++] = idx < 0 ? Float.NEGATIVE_INFINITY : x[base + idx];
                }
            }
        }
        return out;
    }

    static float[] maxBackward(PoolGeometry g, float[] x, float[] gradOut) {
        double[] dx = new double[x.length];
        int o = 0;
        for (int p = 0; p < g.planes(); p++) {
            int base = p * g.h() * g.w();
            for (int oy = 0; oy < g.oh(); oy++) {
                for (int ox = 0; ox < g.ow(); ox++) {
                    int idx = argMax(g, x, base, oy, ox);
                    if (idx >= 0) dx[base + idx] += gradOut[o];
                    o++;
                }
            }
        }
        return RefMath.toFloats(dx);
    }

    static float[] avgForward(PoolGeometry g, float[] x) {
        float[] out = new float[g.planes() * g.oh() * g.ow()];
        int o = 0;
        for (int p = 0; p < g.planes(); p++) {
            int base = p * g.h() * g.w();
            for (int oy = 0; oy < g.oh(); oy++) {
                for (int ox = 0; ox < g.ow(); ox++) {
                    double sum = 0;
                    for (int iy = Math.max(g.y0(oy), 0); iy < Math.min(g.y0(oy) + g.spec().kernelH(), g.h()); iy++) {
                        for (int ix = Math.max(g.x0(ox), 0); ix < Math.min(g.x0(ox) + g.spec().kernelW(), g.w()); ix++) {
                            sum += x[base + iy * g.w() + ix];
                        }
                    }
                    int n = g.divisor(oy, ox);
                    out[o++] = n == 0 ? 0f : (float) (sum / n);
                }
            }
        }
        return out;
    }

    static float[] avgBackward(PoolGeometry g, float[] gradOut) {
        double[] dx = new double[g.planes() * g.h() * g.w()];
        int o = 0;
        for (int p = 0; p < g.planes(); p++) {
            int base = p * g.h() * g.w();
            for (int oy = 0; oy < g.oh(); oy++) {
                for (int ox = 0; ox < g.ow(); ox++) {
                    int n = g.divisor(oy, ox);
                    double share = n == 0 ? 0.0 : (double) gradOut[o] / n;
                    o++;
                    for (int iy = Math.max(g.y0(oy), 0); iy < Math.min(g.y0(oy) + g.spec().kernelH(), g.h()); iy++) {
                        for (int ix = Math.max(g.x0(ox), 0); ix < Math.min(g.x0(ox) + g.spec().kernelW(), g.w()); ix++) {
                            dx[base + iy * g.w() + ix] += share;
                        }
                    }
                }
            }
        }
        return RefMath.toFloats(dx);
    }
}
