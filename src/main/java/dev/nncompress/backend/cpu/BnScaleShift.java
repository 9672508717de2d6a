package dev.nncompress.backend.cpu;

import dev.nncompress.backend.memory.Storage;

import static dev.nncompress.backend.cpu.Mem.get;

/**
 * Batch-norm inference folded to one multiply-add per element, {@code out = x * scale[c] + shift[c]}, with
 * scale = gamma / sqrt(var + eps) and shift = beta - mean * scale (double arithmetic rounded once to float).
 * Computed once per parameter version and kept on the running-variance tensor's storage: at batch 1 the
 * per-channel square roots were most of a BN node's time (MobileNetV2-style fixture, issue 17). The cache is
 * valid while the four inputs keep their contents stamps ({@link CpuTensor#stamp}): every in-place write by
 * the backend (an optimiser step, the running-statistics update of a training pass, copyInto) renews the
 * written tensor's stamp, and a replaced parameter is another tensor, so a stale fold is never used.
 */
final class BnScaleShift {
    private final long gammaStamp, betaStamp, meanStamp, varStamp;
    /** Planes (H*W) below this many floats get per-element copies of scale and shift ({@link #perElement}). */
    static final int SMALL_PLANE = 32;

    private final float eps;
    final float[] scale, shift;
    /** Scale and shift each repeated over a plane of {@code plane} floats (one immutable holder: threads may race). */
    private record Repeated(int plane, float[][] scaleShift) {}

    private volatile Repeated perElement;

    private BnScaleShift(CpuTensor gamma, CpuTensor beta, CpuTensor mean, CpuTensor var, float eps) {
        this.gammaStamp = gamma.stamp();
        this.betaStamp = beta.stamp();
        this.meanStamp = mean.stamp();
        this.varStamp = var.stamp();
        this.eps = eps;
        int c = var.numel();
        scale = new float[c];
        shift = new float[c];
        long g = gamma.address(), b = beta.address(), m = mean.address(), v = var.address();
        for (int ch = 0; ch < c; ch++) {
            double is = 1.0 / Math.sqrt((double) get(v, ch) + eps);
            double sc = is * get(g, ch);
            scale[ch] = (float) sc;
            shift[ch] = (float) (get(b, ch) - get(m, ch) * sc);
        }
    }

    /**
     * {scale, shift} with each channel's value repeated {@code plane} times (channel-major, as a [C, plane] image),
     * so that batch norm over small planes is one vectorisable loop; made on first use for a plane size (one per
     * BN layer at inference) and kept with the fold.
     */
    float[][] perElement(int plane) {
        Repeated r = perElement;
        if (r != null && r.plane() == plane) return r.scaleShift();
        float[] se = new float[scale.length * plane], he = new float[scale.length * plane];
        for (int c = 0; c < scale.length; c++) {
            java.util.Arrays.fill(se, c * plane, (c + 1) * plane, scale[c]);
            java.util.Arrays.fill(he, c * plane, (c + 1) * plane, shift[c]);
        }
        perElement = new Repeated(plane, new float[][] {se, he});
        return new float[][] {se, he};
    }

    /** The fold for these tensors as they are now: the cached one if none changed since, else a new one (then cached). */
    static BnScaleShift of(CpuTensor gamma, CpuTensor beta, CpuTensor mean, CpuTensor var, float eps) {
        Storage<?> home = var.storage();
        if (home.derived() instanceof BnScaleShift f && f.matches(gamma, beta, mean, var, eps)) return f;
        BnScaleShift f = new BnScaleShift(gamma, beta, mean, var, eps);
        home.derived(f); // immutable, published through the volatile field; a racing call computes the same
        return f;
    }

    private boolean matches(CpuTensor gamma, CpuTensor beta, CpuTensor mean, CpuTensor var, float eps) {
        return gammaStamp == gamma.stamp() && betaStamp == beta.stamp() && meanStamp == mean.stamp() && varStamp == var.stamp()
                && Float.floatToIntBits(this.eps) == Float.floatToIntBits(eps);
    }
}
