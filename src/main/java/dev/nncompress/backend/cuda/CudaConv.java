package dev.nncompress.backend.cuda;

import dev.nncompress.backend.ConvGeometry;

/**
 * Convolution as GEMM: our im2col/col2im kernels and a {@link Blas} (cuBLAS, or our gemm_f32), the
 * {@link Dnn.Conv} when cuDNN is absent, and cuDNN's fallback for shapes where none of its
 * algorithms fits. Forward, per image b: y_b[O, P] = W[O, CKK] x col_b[CKK, P]
 * (P = OH*OW, CKK = C*kH*kW), which is NCHW output directly, as one batched SGEMM over a chunk of
 * images (W broadcast with stride 0). Backward: dW = sum_b gy_b[O, P] x col_b^T, as a batched SGEMM
 * into per-image partials [N, O*CKK] summed over the images in double (nnc_ew_sum_rows), so there are
 * no atomics and the result is deterministic; dcol_b = W^T x gy_b then col2im gives dx. 1x1 stride-1 unpadded convs skip im2col (the image is its own column matrix).
 * The column buffer is bounded ({@code -Dnncompress.cuda.colBytes}, default 256 MiB) by processing
 * the batch in chunks of images.
 */
final class CudaConv implements Dnn.Conv {
    private static final long COL_BYTES = Long.getLong("nncompress.cuda.colBytes", 256L << 20);

    private final CudaOps ops;
    private final Blas blas;
    private final DeviceMemoryPool memory;

    CudaConv(CudaOps ops, Blas blas, DeviceMemoryPool memory) {
        this.ops = ops;
        this.blas = blas;
        this.memory = memory;
    }

    /** Names our route in {@link Dnn#name()}. */
    String name() { return "own im2col + " + blas.name(); }

    static boolean direct(ConvGeometry g) {
        return g.kh() == 1 && g.kw() == 1 && g.spec().strideH() == 1 && g.spec().strideW() == 1 && g.spec().padH() == 0
                && g.spec().padW() == 0;
    }

    /** Images per column-buffer chunk. */
    static int chunk(ConvGeometry g, long colBytes) {
        long perImage = Math.max(1L, 4L * g.ckk() * g.p());
        return (int) Math.max(1, Math.min(Math.min(g.n(), 65_535), colBytes / perImage));
    }

    @Override public void convForward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
        int o = g.o(), p = g.p(), ckk = g.ckk();
        if (direct(g)) {
            for (int b0 = 0; b0 < g.n(); b0 += 65_535) {
                int nb = Math.min(65_535, g.n() - b0);
                blas.gemm(w, 0, 0, ckk, false, x, (long) b0 * ckk * p, (long) ckk * p, p, false,
                        y, (long) b0 * o * p, (long) o * p, p, o, p, ckk, nb, 1f, 0f);
            }
        } else {
            int chunk = chunk(g, COL_BYTES);
            try (DeviceBuffer col = memory.take(4L * chunk * ckk * p)) {
                for (int b0 = 0; b0 < g.n(); b0 += chunk) {
                    int nb = Math.min(chunk, g.n() - b0);
                    ops.im2col(x, col, b0, nb, g);
                    blas.gemm(w, 0, 0, ckk, false, col, 0, (long) ckk * p, p, false,
                            y, (long) b0 * o * p, (long) o * p, p, o, p, ckk, nb, 1f, 0f);
                }
            }
        }
    }

    @Override public void convBackward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer gy, DeviceBuffer dx, DeviceBuffer dw) {
        int o = g.o(), p = g.p(), ckk = g.ckk(), n = g.n();
        boolean direct = direct(g);
        int chunk = direct ? Math.min(Math.max(n, 1), 65_535) : chunk(g, COL_BYTES);
        try (DeviceBuffer partial = memory.take(4L * n * o * ckk);
             DeviceBuffer col = direct ? null : memory.take(4L * chunk * ckk * p)) {
            for (int b0 = 0; b0 < n; b0 += chunk) {
                int nb = Math.min(chunk, n - b0);
                DeviceBuffer cols = direct ? x : col;
                long colOffset = direct ? (long) b0 * ckk * p : 0;
                if (!direct) ops.im2col(x, col, b0, nb, g);
                // partial_b[O, CKK] = gy_b[O, P] x cols_b[CKK, P]^T
                blas.gemm(gy, (long) b0 * o * p, (long) o * p, p, false, cols, colOffset, (long) ckk * p, p, true,
                        partial, (long) b0 * o * ckk, (long) o * ckk, ckk, o, ckk, p, nb, 1f, 0f);
                if (dx != null) {
                    // dcol_b[CKK, P] = W^T[CKK, O] x gy_b[O, P]; for a direct conv dcol is dx itself
                    DeviceBuffer target = direct ? dx : col;
                    blas.gemm(w, 0, 0, ckk, true, gy, (long) b0 * o * p, (long) o * p, p, false,
                            target, colOffset, (long) ckk * p, p, ckk, p, o, nb, 1f, 0f);
                    if (!direct) ops.col2im(col, dx, b0, nb, g);
                }
            }
            ops.elementwise("nnc_ew_sum_rows", (long) o * ckk, partial, dw, n, o * ckk);
        }
    }
}
