package dev.nncompress.backend.cpu;

import static dev.nncompress.backend.cpu.Mem.get;
import static dev.nncompress.backend.cpu.Mem.put;

/**
 * Batch normalisation over a [N, C, S] view (S = product of spatial dims), per channel, as Java loops
 * split over channels. Statistics: two passes (mean, then squared deviations) with double sums, the
 * biased variance, invStd = 1/sqrt(var + eps), as PyTorch's training mode.
 *
 * <p>libnd4j's "batchnorm" op only normalises with given statistics (no batch mean/var), so training
 * would need separate reductions anyway; these loops read x three times, which is all it takes.
 */
final class CpuNorm {
    private CpuNorm() {}

    record Layout(int n, int c, int s) {
        long count() { return (long) n * s; }

        long offset(int b, int ch) { return ((long) b * c + ch) * s; }
    }

    private static int minChannels(Layout l) { return (int) Math.max(1, CpuPar.MIN_PARALLEL / 2 / Math.max(1, l.count())); }

    static void train(Layout l, long x, long gamma, long beta, float eps, long out, long mean, long var, long invStd) {
        CpuPar.forRange(l.c(), minChannels(l), 1, (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                double sum = 0;
                for (int b = 0; b < l.n(); b++) {
                    long o = l.offset(b, ch);
                    for (int i = 0; i < l.s(); i++) sum += get(x, o + i);
                }
                double mu = sum / l.count();
                double sq = 0;
                for (int b = 0; b < l.n(); b++) {
                    long o = l.offset(b, ch);
                    for (int i = 0; i < l.s(); i++) {
                        double d = get(x, o + i) - mu;
                        sq += d * d;
                    }
                }
                double v = sq / l.count();
                double is = 1.0 / Math.sqrt(v + eps);
                put(mean, ch, (float) mu);
                put(var, ch, (float) v);
                put(invStd, ch, (float) is);
                normalise(l, ch, x, out, (float) (is * get(gamma, ch)), (float) (get(beta, ch) - mu * is * get(gamma, ch)));
            }
        });
    }

    /**
     * As the training pass's normalise with the same float arithmetic, through a heap array: HotSpot vectorises the array
     * loop and not the Unsafe one, and the channels [c0, c1) of one image are contiguous, so small planes
     * (MobileNetV2's 4x4 and 2x2) move as one copy of many channels instead of one per plane; larger planes in
     * chunks. Scale and shift per channel come folded ({@link BnScaleShift}); with lo/hi other than -inf/+inf the
     * result is clamped in the same pass (a fused ReLU/Clip). {@code out} may be {@code x} (each chunk is read
     * before it is written).
     */
    static void inference(Layout l, long x, float[] scale, float[] shift, float lo, float hi, long out) {
        boolean clamp = lo > Float.NEGATIVE_INFINITY || hi < Float.POSITIVE_INFINITY;
        CpuPar.forRange(l.c(), minChannels(l), 1, (c0, c1) -> {
            float[] a = CpuLoops.buffers()[0];
            int s = l.s();
            if (s > CpuLoops.CHUNK) {
                for (int b = 0; b < l.n(); b++) {
                    for (int ch = c0; ch < c1; ch++) {
                        for (int i = 0; i < s; i += CpuLoops.CHUNK) {
                            int len = Math.min(CpuLoops.CHUNK, s - i);
                            long o = l.offset(b, ch) + i;
                            Mem.toArray(x, o, a, 0, len);
                            normalise(a, 0, len, scale[ch], shift[ch], clamp, lo, hi);
                            Mem.fromArray(a, 0, out, o, len);
                        }
                    }
                }
                return;
            }
            int perCopy = CpuLoops.CHUNK / s;
            for (int b = 0; b < l.n(); b++) {
                for (int ch = c0; ch < c1; ch += perCopy) {
                    int k = Math.min(perCopy, c1 - ch);
                    long o = l.offset(b, ch);
                    Mem.toArray(x, o, a, 0, k * s);
                    for (int j = 0; j < k; j++) normalise(a, j * s, s, scale[ch + j], shift[ch + j], clamp, lo, hi);
                    Mem.fromArray(a, 0, out, o, k * s);
                }
            }
        });
    }

    /** out = x * scale + shift for one channel (gamma, beta and the statistics folded in). */
    private static void normalise(Layout l, int ch, long x, long out, float scale, float shift) {
        for (int b = 0; b < l.n(); b++) {
            long o = l.offset(b, ch);
            for (int i = 0; i < l.s(); i++) put(out, o + i, get(x, o + i) * scale + shift);
        }
    }

    /** a[from, from + len) = x * scale + shift, then clamped to [lo, hi] as RefActivations.clip (min(max(v, lo), hi)). */
    private static void normalise(float[] a, int from, int len, float scale, float shift, boolean clamp, float lo, float hi) {
        int e = from + len;
        if (!clamp) {
            for (int i = from; i < e; i++) a[i] = a[i] * scale + shift;
        } else {
            for (int i = from; i < e; i++) a[i] = Math.min(Math.max(a[i] * scale + shift, lo), hi);
        }
    }

    /**
     * xhat = (x - mean) * invStd, M = N*S: dbeta = sum(g), dgamma = sum(g * xhat),
     * dx = gamma * invStd / M * (M*g - dbeta - xhat * dgamma).
     */
    static void backward(Layout l, long x, long gamma, long mean, long invStd, long g, long dx, long dgamma, long dbeta) {
        CpuPar.forRange(l.c(), minChannels(l), 1, (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                float mu = get(mean, ch);
                float is = get(invStd, ch);
                double sumG = 0;
                double sumGX = 0;
                for (int b = 0; b < l.n(); b++) {
                    long o = l.offset(b, ch);
                    for (int i = 0; i < l.s(); i++) {
                        float gi = get(g, o + i);
                        sumG += gi;
                        sumGX += gi * ((get(x, o + i) - mu) * is);
                    }
                }
                put(dbeta, ch, (float) sumG);
                put(dgamma, ch, (float) sumGX);
                double m = l.count();
                float k = (float) (get(gamma, ch) * is);
                float meanG = (float) (sumG / m);
                float meanGX = (float) (sumGX / m);
                for (int b = 0; b < l.n(); b++) {
                    long o = l.offset(b, ch);
                    for (int i = 0; i < l.s(); i++) {
                        float xhat = (get(x, o + i) - mu) * is;
                        put(dx, o + i, k * (get(g, o + i) - meanG - xhat * meanGX));
                    }
                }
            }
        });
    }
}
