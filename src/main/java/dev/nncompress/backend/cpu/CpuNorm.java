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
    static void inference(Layout l, long x, BnScaleShift f, float lo, float hi, long out) {
        boolean clamp = lo > Float.NEGATIVE_INFINITY || hi < Float.POSITIVE_INFINITY;
        float[] scale = f.scale, shift = f.shift;
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
                            float sc = scale[ch], sh = shift[ch];
                            for (int e = 0; e < len; e++) a[e] = a[e] * sc + sh;
                            if (clamp) clamp(a, len, lo, hi);
                            Mem.fromArray(a, 0, out, o, len);
                        }
                    }
                }
                return;
            }
            // planes under SMALL_PLANE floats: one loop over the whole copy with per-element scale and shift, which
            // vectorises where a loop per 2x2 or 4x4 plane does not
            float[][] perElement = s < BnScaleShift.SMALL_PLANE ? f.perElement(s) : null;
            int perCopy = CpuLoops.CHUNK / s;
            for (int b = 0; b < l.n(); b++) {
                for (int ch = c0; ch < c1; ch += perCopy) {
                    int k = Math.min(perCopy, c1 - ch);
                    long o = l.offset(b, ch);
                    Mem.toArray(x, o, a, 0, k * s);
                    if (perElement != null) {
                        float[] se = perElement[0], he = perElement[1];
                        int base = ch * s, len = k * s;
                        for (int i = 0; i < len; i++) a[i] = a[i] * se[base + i] + he[base + i];
                    } else {
                        for (int j = 0; j < k; j++) {
                            float sc = scale[ch + j], sh = shift[ch + j];
                            for (int i = j * s, e = i + s; i < e; i++) a[i] = a[i] * sc + sh;
                        }
                    }
                    if (clamp) clamp(a, k * s, lo, hi);
                    Mem.fromArray(a, 0, out, o, k * s);
                }
            }
        });
    }

    /** a[0, len) clamped to [lo, hi] as RefActivations.clip does (min(max(v, lo), hi)). */
    private static void clamp(float[] a, int len, float lo, float hi) {
        for (int i = 0; i < len; i++) a[i] = Math.min(Math.max(a[i], lo), hi);
    }

    /** out = x * scale + shift for one channel (gamma, beta and the statistics folded in). */
    private static void normalise(Layout l, int ch, long x, long out, float scale, float shift) {
        for (int b = 0; b < l.n(); b++) {
            long o = l.offset(b, ch);
            for (int i = 0; i < l.s(); i++) put(out, o + i, get(x, o + i) * scale + shift);
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
