package dev.nncompress.backend.cpu;

/**
 * Fused optimiser steps (one pass over param, grad and state) as PyTorch's SGD, Adam and AdamW.
 * Float arithmetic: the update is small against the parameter, so the difference to the reference's
 * double arithmetic stays within a few ulps of the parameter.
 */
final class CpuOptim {
    private CpuOptim() {}

    /** velocity is 0 when momentum is 0 (no state). Chunked through heap arrays as in {@link CpuLoops}. */
    static void sgd(long p, long grad, long velocity, int n, float lr, float momentum, float wd, boolean nesterov) {
        CpuPar.forElements(n, (from, to) -> {
            float[][] f = CpuLoops.buffers();
            float[] pa = f[0];
            float[] ga = f[1];
            float[] va = f[2];
            for (int s = from; s < to; s += CpuLoops.CHUNK) {
                int len = Math.min(CpuLoops.CHUNK, to - s);
                Mem.toArray(p, s, pa, 0, len);
                Mem.toArray(grad, s, ga, 0, len);
                if (velocity == 0L) {
                    for (int i = 0; i < len; i++) pa[i] -= lr * (ga[i] + wd * pa[i]);
                } else {
                    Mem.toArray(velocity, s, va, 0, len);
                    if (nesterov) {
                        for (int i = 0; i < len; i++) {
                            float g = ga[i] + wd * pa[i];
                            float v = momentum * va[i] + g;
                            va[i] = v;
                            pa[i] -= lr * (g + momentum * v);
                        }
                    } else {
                        for (int i = 0; i < len; i++) {
                            float v = momentum * va[i] + ga[i] + wd * pa[i];
                            va[i] = v;
                            pa[i] -= lr * v;
                        }
                    }
                    Mem.fromArray(va, 0, velocity, s, len);
                }
                Mem.fromArray(pa, 0, p, s, len);
            }
        });
    }

    static void adam(long p, long grad, long m, long v, int n, int step, float lr, float beta1, float beta2, float eps,
                     float wd, boolean decoupled) {
        double bc1 = 1.0 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1.0 - Math.pow(beta2, step));
        float stepSize = (float) (lr / bc1);
        float invBc2Sqrt = (float) (1.0 / bc2Sqrt);
        float decay = decoupled ? (float) (1.0 - (double) lr * wd) : 1f;
        float l2 = decoupled ? 0f : wd;
        float oneMinusB1 = (float) (1.0 - beta1);
        float oneMinusB2 = (float) (1.0 - beta2);
        CpuPar.forElements(n, (from, to) -> {
            float[][] f = CpuLoops.buffers();
            float[] pa = f[0];
            float[] ga = f[1];
            float[] ma = f[2];
            float[] va = f[3];
            for (int s = from; s < to; s += CpuLoops.CHUNK) {
                int len = Math.min(CpuLoops.CHUNK, to - s);
                Mem.toArray(p, s, pa, 0, len);
                Mem.toArray(grad, s, ga, 0, len);
                Mem.toArray(m, s, ma, 0, len);
                Mem.toArray(v, s, va, 0, len);
                for (int i = 0; i < len; i++) {
                    float pi = pa[i] * decay;
                    float g = ga[i] + l2 * pi;
                    float mi = beta1 * ma[i] + oneMinusB1 * g;
                    float vi = beta2 * va[i] + oneMinusB2 * g * g;
                    ma[i] = mi;
                    va[i] = vi;
                    pa[i] = pi - stepSize * mi / ((float) Math.sqrt(vi) * invBc2Sqrt + eps);
                }
                Mem.fromArray(pa, 0, p, s, len);
                Mem.fromArray(ma, 0, m, s, len);
                Mem.fromArray(va, 0, v, s, len);
            }
        });
    }
}
