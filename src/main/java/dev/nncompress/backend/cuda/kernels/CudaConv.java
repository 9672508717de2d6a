package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;

/**
 * Convolution as GEMM: our im2col/col2im kernels and a {@link Blas} (cuBLAS, or our gemm_f32), the
 * {@link Dnn.Conv} when cuDNN is absent, and cuDNN's fallback for shapes where none of its
 * algorithms fits or that it cannot describe (asymmetric padding). Forward, per image b and group gi:
 * y_b[gi's Og rows, P] = W[gi's Og rows, CKK] x col_b[gi's CKK rows, P] (P = OH*OW, CKK = C/groups*kH*kW;
 * im2col writes every group's rows at once, so group gi's column matrix is a contiguous block of it),
 * which is NCHW output directly, as one strided-batched SGEMM per group over a chunk of images (W
 * broadcast with stride 0). Backward: dW = sum_b gy_b x col_b^T per group, as batched SGEMMs into
 * per-image partials [N, O*CKK] summed over the images in double (nnc_ew_sum_rows), so there are no
 * atomics and the result is deterministic; dcol_b = W^T x gy_b per group, then col2im gives dx. 1x1
 * stride-1 unpadded convs skip im2col (the image is its own column matrix). Depthwise convs
 * (groups == C) run on their own kernels ({@link CudaDepthwiseConv}).
 * The column buffer is bounded ({@code -Dnncompress.cuda.colBytes}, default 256 MiB) by processing
 * the batch in chunks of images.
 */
public final class CudaConv implements Dnn.Conv {
    private static final long COL_BYTES = Long.getLong("nncompress.cuda.colBytes", 256L << 20);

    private final CudaOps ops;
    private final Blas blas;
    private final DeviceMemoryPool memory;
    private final CudaDepthwiseConv depthwise;

    public CudaConv(CudaOps ops, Blas blas, DeviceMemoryPool memory) {
        this.ops = ops;
        this.blas = blas;
        this.memory = memory;
        this.depthwise = new CudaDepthwiseConv(ops);
    }

    /** Names our route in {@link Dnn#name()}. */
    public String name() { return "own im2col + " + blas.name(); }

    public static boolean direct(ConvGeometry g) {
        Conv2dSpec s = g.spec();
        return g.kh() == 1 && g.kw() == 1 && s.strideH() == 1 && s.strideW() == 1 && s.padH() == 0 && s.padW() == 0 && s.padBottom() == 0
                && s.padRight() == 0;
    }

    /** Rows of one image's column matrix over all groups: C * kH * kW. */
    private static long colRows(ConvGeometry g) { return (long) g.c() * g.kh() * g.kw(); }

    /** Images per column-buffer chunk. */
    public static int chunk(ConvGeometry g, long colBytes) {
        long perImage = Math.max(1L, 4L * colRows(g) * g.p());
        return (int) Math.max(1, Math.min(Math.min(g.n(), 65_535), colBytes / perImage));
    }

    @Override public void convForward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
        if (g.depthwise()) {
            depthwise.forward(g, x, w, y);
            return;
        }
        int o = g.o(), p = g.p(), ckk = g.ckk(), og = g.oPerGroup();
        long colImage = colRows(g) * p; // one image's columns, all groups (for a direct conv: the image)
        boolean direct = direct(g);
        int chunk = direct ? 65_535 : chunk(g, COL_BYTES);
        try (DeviceBuffer col = direct ? null : memory.take(4L * chunk * colImage)) {
            for (int b0 = 0; b0 < g.n(); b0 += chunk) {
                int nb = Math.min(chunk, g.n() - b0);
                DeviceBuffer cols = direct ? x : col;
                long colOffset = direct ? b0 * colImage : 0;
                if (!direct) ops.im2col(x, col, b0, nb, g);
                for (int gi = 0; gi < g.groups(); gi++) {
                    blas.gemm(w, (long) gi * og * ckk, 0, ckk, false, cols, colOffset + (long) gi * ckk * p, colImage, p, false,
                            y, (long) b0 * o * p + (long) gi * og * p, (long) o * p, p, og, p, ckk, nb, 1f, 0f);
                }
            }
        }
    }

    @Override public void convBackward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer gy, DeviceBuffer dx, DeviceBuffer dw) {
        if (g.depthwise()) {
            depthwise.backward(g, x, w, gy, dx, dw);
            return;
        }
        int o = g.o(), p = g.p(), ckk = g.ckk(), n = g.n(), og = g.oPerGroup();
        long colImage = colRows(g) * p;
        boolean direct = direct(g);
        int chunk = direct ? Math.min(Math.max(n, 1), 65_535) : chunk(g, COL_BYTES);
        try (DeviceBuffer partial = memory.take(4L * n * o * ckk);
             DeviceBuffer col = direct ? null : memory.take(4L * chunk * colImage)) {
            for (int b0 = 0; b0 < n; b0 += chunk) {
                int nb = Math.min(chunk, n - b0);
                DeviceBuffer cols = direct ? x : col;
                long colOffset = direct ? b0 * colImage : 0;
                if (!direct) ops.im2col(x, col, b0, nb, g);
                for (int gi = 0; gi < g.groups(); gi++) {
                    long gyOffset = (long) b0 * o * p + (long) gi * og * p;
                    long colGroup = colOffset + (long) gi * ckk * p;
                    // partial_b[gi's Og rows, CKK] = gy_b[gi's Og rows, P] x cols_b[gi's CKK rows, P]^T
                    blas.gemm(gy, gyOffset, (long) o * p, p, false, cols, colGroup, colImage, p, true,
                            partial, (long) b0 * o * ckk + (long) gi * og * ckk, (long) o * ckk, ckk, og, ckk, p, nb, 1f, 0f);
                    if (dx != null) {
                        // dcol_b[gi's CKK rows, P] = W_gi^T[CKK, Og] x gy_b[gi's Og rows, P]; for a direct conv dcol is dx itself
                        DeviceBuffer target = direct ? dx : col;
                        blas.gemm(w, (long) gi * og * ckk, 0, ckk, true, gy, gyOffset, (long) o * p, p, false,
                                target, colGroup, colImage, p, ckk, p, og, nb, 1f, 0f);
                    }
                }
                if (dx != null && !direct) ops.col2im(col, dx, b0, nb, g);
            }
            ops.elementwise("nnc_ew_sum_rows", (long) o * ckk, partial, dw, n, o * ckk);
        }
    }
}
