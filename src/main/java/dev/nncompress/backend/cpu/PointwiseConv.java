package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ConvGeometry;

/**
 * Forward of a 1x1 convolution (stride 1, no padding, one group: MobileNetV2's expansion and projection
 * layers) as sgemm without im2col. In NCHW one image's input is already the [C, P] matrix the product
 * needs and its output the [O, P] matrix it makes (P = H*W), so:
 * <ul>
 *   <li>planes of at least {@link #PER_IMAGE_MIN_P} pixels: one sgemm per image, {@code out_n = W x_n},
 *       straight from the input tensor into the output tensor, images split over the Java threads;
 *   <li>smaller planes (MobileNetV2's 4x4 and 2x2 stages, where a per-image product would be 4 or 16
 *       columns wide): blocks of images are gathered into one [C, cnt*P] matrix (one contiguous P-float
 *       copy per image and channel), one sgemm, and scattered back; the blocks split over the Java threads
 *       ({@link #imagesPerProduct} says why they are small).
 * </ul>
 * Against libnd4j's conv2d (oneDNN), which builds its primitive on every call (about a millisecond on this
 * model's layers at batch 1, whatever the layer's width), the cost here scales with the channel counts:
 * what a pruned model needs. The bias is added after the product; sums are sgemm's, so results match the
 * reference within float rounding, not bit for bit.
 */
final class PointwiseConv {
    /** Smallest plane run as one sgemm per image (7x7 = 49 columns runs per image, 4x4 = 16 is gathered). */
    static final int PER_IMAGE_MIN_P = 32;

    private PointwiseConv() {}

    static boolean suits(ConvGeometry g) {
        var s = g.spec();
        return g.kh() == 1 && g.kw() == 1 && s.strideH() == 1 && s.strideW() == 1 && s.padH() == 0 && s.padW() == 0
                && s.padBottom() == 0 && s.padRight() == 0 && s.groups() == 1;
    }

    /**
     * Images per product: as many as keep it within {@link BlasThreads#ANY_COUNT} multiply-adds (one per image at
     * least, and exactly one for planes of {@link #PER_IMAGE_MIN_P} or more). Products that small run on one
     * OpenBLAS thread under any thread count, so the blocks are split over the Java threads and never make
     * OpenBLAS switch its count (0.5 ms each) or wait at its barrier for a core that another process holds
     * (measured on the busy 2-core machine: the full model at batch 256 spent 0.43 s a pass in 1x1 convs with
     * 13M-multiply-add gathered products on two OpenBLAS threads, 0.009 s at half width).
     */
    static int imagesPerProduct(ConvGeometry g) {
        if (g.p() >= PER_IMAGE_MIN_P) return 1;
        long perImage = (long) g.o() * g.c() * g.p();
        return (int) Math.max(1, Math.min(g.n(), BlasThreads.ANY_COUNT / Math.max(1, perImage)));
    }

    static void forward(ConvGeometry g, long x, long w, long bias, long out) {
        int c = g.c(), o = g.o(), p = g.p(), n = g.n(), nb = imagesPerProduct(g);
        int blocks = (n + nb - 1) / nb;
        long perBlock = (long) o * c * p * nb;
        // larger products are left to OpenBLAS's own threads (BlasThreads decides), one block after another
        int minBlocks = perBlock > BlasThreads.ANY_COUNT ? blocks : (int) Math.max(1, CpuPar.MIN_PARALLEL / perBlock);
        CpuPar.forRange(blocks, minBlocks, 1, (k0, k1) -> {
            try (Scratch col = nb == 1 ? null : Scratch.floats((long) c * nb * p); Scratch y = nb == 1 ? null : Scratch.floats((long) o * nb * p)) {
                for (int k = k0; k < k1; k++) {
                    int b0 = k * nb, cnt = Math.min(nb, n - b0);
                    if (nb == 1) {
                        long yb = out + 4L * b0 * o * p;
                        Blas.sgemm(false, false, o, p, c, 1f, w, c, x + 4L * b0 * c * p, p, 0f, yb, p);
                        if (bias != 0L) addBias(yb, bias, o, p);
                    } else {
                        gathered(c, o, p, b0, cnt, x, w, bias, out, col.address(), y.address());
                    }
                }
            }
        });
    }

    /** Images [b0, b0 + cnt) as one product: gathered into col [C, cnt*P], multiplied into y [O, cnt*P], scattered into out. */
    private static void gathered(int c, int o, int p, int b0, int cnt, long x, long w, long bias, long out, long col, long y) {
        int cols = cnt * p;
        for (int ch = 0; ch < c; ch++) {
            for (int j = 0; j < cnt; j++) Mem.copy(x + 4L * (((long) (b0 + j) * c + ch) * p), col + 4L * ((long) ch * cols + (long) j * p), p);
        }
        Blas.sgemm(false, false, o, cols, c, 1f, w, c, col, cols, 0f, y, cols);
        for (int oc = 0; oc < o; oc++) {
            for (int j = 0; j < cnt; j++) Mem.copy(y + 4L * ((long) oc * cols + (long) j * p), out + 4L * (((long) (b0 + j) * o + oc) * p), p);
        }
        if (bias != 0L) {
            for (int j = 0; j < cnt; j++) addBias(out + 4L * (b0 + j) * o * p, bias, o, p);
        }
    }

    /** y[oc, i] += bias[oc] for one image's [O, P] block. */
    private static void addBias(long y, long bias, int o, int p) {
        for (int oc = 0; oc < o; oc++) {
            float bo = Mem.get(bias, oc);
            long row = y + 4L * oc * p;
            for (int i = 0; i < p; i++) Mem.put(row, i, Mem.get(row, i) + bo);
        }
    }
}
