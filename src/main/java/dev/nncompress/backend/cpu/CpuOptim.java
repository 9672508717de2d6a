package dev.nncompress.backend.cpu;

/**
 * Fused optimiser steps (one pass over param, grad and state) as PyTorch's SGD, Adam and AdamW, over one parameter
 * or over all of a step's parameters at once: their elements are split over the threads by total count, one fork
 * per step where a loop over parameters paid one per parameter and left the small ones (biases, every layer of a
 * small model) on one core. Every element's arithmetic is the same whatever the split, so the results are bit for
 * bit those of one call per parameter. Float arithmetic: the update is small against the parameter, so the
 * difference to the reference's double arithmetic stays within a few ulps of the parameter.
 */
final class CpuOptim {
    private CpuOptim() {}

    /** Elements [from, to) of segment {@code i} (a parameter). */
    private interface SegmentBody {
        void run(int i, int from, int to);
    }

    /**
     * Runs {@code body} over the segments of sizes {@code n} as one range of their total count, split by
     * {@link CpuPar#forElements}; where the total does not fit an int, each segment split on its own.
     */
    private static void forSegments(int[] n, SegmentBody body) {
        long[] start = new long[n.length + 1];
        for (int i = 0; i < n.length; i++) start[i + 1] = start[i] + n[i];
        if (start[n.length] > Integer.MAX_VALUE) {
            for (int i = 0; i < n.length; i++) {
                int k = i;
                CpuPar.forElements(n[i], (from, to) -> body.run(k, from, to));
            }
            return;
        }
        CpuPar.forElements((int) start[n.length], (from, to) -> {
            for (int i = 0; i < n.length; i++) {
                long lo = Math.max(from, start[i]);
                long hi = Math.min(to, start[i + 1]);
                if (lo < hi) body.run(i, (int) (lo - start[i]), (int) (hi - start[i]));
            }
        });
    }

    /** velocity is 0 when momentum is 0 (no state). */
    static void sgd(long p, long grad, long velocity, int n, float lr, float momentum, float wd, boolean nesterov) {
        sgd(new long[] {p}, new long[] {grad}, new long[] {velocity}, new int[] {n}, lr, momentum, wd, nesterov);
    }

    /** {@link #sgd(long, long, long, int, float, float, float, boolean)} over every parameter i in one split pass. */
    static void sgd(long[] p, long[] grad, long[] velocity, int[] n, float lr, float momentum, float wd, boolean nesterov) {
        SegmentBody body = (i, from, to) -> sgdRange(p[i], grad[i], velocity[i], from, to, lr, momentum, wd, nesterov);
        forSegments(n, body);
    }

    /** Chunked through heap arrays as in {@link CpuLoops}. */
    private static void sgdRange(long p, long grad, long velocity, int from, int to, float lr, float momentum, float wd, boolean nesterov) {
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
    }

    static void adam(long p, long grad, long m, long v, int n, int step, float lr, float beta1, float beta2, float eps,
                     float wd, boolean decoupled) {
        adam(new long[] {p}, new long[] {grad}, new long[] {m}, new long[] {v}, new int[] {n}, step, lr, beta1, beta2, eps, wd, decoupled);
    }

    /** {@link #adam(long, long, long, long, int, int, float, float, float, float, float, boolean)} over every parameter i in one split pass. */
    static void adam(long[] p, long[] grad, long[] m, long[] v, int[] n, int step, float lr, float beta1, float beta2, float eps,
                     float wd, boolean decoupled) {
        double bc1 = 1.0 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1.0 - Math.pow(beta2, step));
        float stepSize = (float) (lr / bc1);
        float invBc2Sqrt = (float) (1.0 / bc2Sqrt);
        float decay = decoupled ? (float) (1.0 - (double) lr * wd) : 1f;
        float l2 = decoupled ? 0f : wd;
        float oneMinusB1 = (float) (1.0 - beta1);
        float oneMinusB2 = (float) (1.0 - beta2);
        SegmentBody body = (i, from, to) -> adamRange(p[i], grad[i], m[i], v[i], from, to, beta1, beta2, eps, stepSize, invBc2Sqrt,
                decay, l2, oneMinusB1, oneMinusB2);
        forSegments(n, body);
    }

    private static void adamRange(long p, long grad, long m, long v, int from, int to, float beta1, float beta2, float eps, float stepSize,
                                  float invBc2Sqrt, float decay, float l2, float oneMinusB1, float oneMinusB2) {
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
    }
}
