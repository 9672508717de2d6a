package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * {@link dev.nncompress.backend.Backend#linearInference} on the CPU: the batch's rows in blocks of {@value #BLOCK} shared out
 * to {@link CpuPar} threads, each block one single-threaded OpenBLAS sgemm (x rows times W^T) followed, row by row while it is in cache, by the
 * bias and the ReLU. Why not OpenBLAS's own threads: its threaded sgemm synchronises its two threads by spinning on
 * flags (sgemm_thread_nt), and with two cores shared that spin took ~35% of the teacher's inference CPU (perf, issue 23,
 * fc1 256x256x6272); split by rows, the parts never wait for each other. Equal to matmul, addRowVector and relu up to
 * float rounding (OpenBLAS's edge tiles differ with the rows a call gets).
 */
final class CpuLinear {
    /**
     * Rows per sgemm call: each call packs all of W again, so blocks stay large (batch 256: two blocks, one per thread;
     * batch 64: one call).
     */
    private static final int BLOCK = 128;

    private CpuLinear() {}

    static Tensor inference(CpuBackend backend, Tensor x, Tensor w, Tensor bias, boolean relu) {
        CpuTensor cx = CpuChecks.cpu("linearInference", "x", x);
        CpuTensor cw = CpuChecks.cpu("linearInference", "weight", w);
        int[] mkn = ArgChecks.matmul(x, false, w, true);
        int m = mkn[0], k = mkn[1], n = mkn[2];
        CpuTensor cb = bias == null ? null : CpuChecks.cpu("linearInference", "bias", bias);
        if (bias != null && (bias.shape().rank() != 1 || bias.shape().dim(0) != n)) {
            throw new IllegalArgumentException("linearInference: bias " + bias.shape() + " does not match weight " + w.shape() + ", expected [" + n + "]");
        }
        CpuTensor out = CpuTensor.allocate(backend, Shape.of(m, n));
        if (m == 0 || n == 0) return out;
        long xa = k == 0 ? 0L : cx.address(), wa = k == 0 ? 0L : cw.address(), ya = out.address();
        float[] b = new float[n];
        if (cb != null) Mem.toArray(cb.address(), 0, b, 0, n);
        // fixed blocks of rows, whatever the threads: a row's rounding then depends on the batch size alone, not on how
        // many helpers were idle (OpenBLAS's edge tiles follow the rows a call gets)
        int blocks = (m + BLOCK - 1) / BLOCK;
        CpuPar.forRange(blocks, 1, 1, (b0, b1) -> {
            float[] row = new float[n];
            for (int blk = b0; blk < b1; blk++) {
                int r0 = blk * BLOCK, r1 = Math.min(m, r0 + BLOCK);
                Blas.sgemmOneThread(r1 - r0, n, k, xa == 0L ? 0L : xa + 4L * r0 * k, Math.max(1, k), wa, Math.max(1, k), ya + 4L * r0 * n, n);
                for (int r = r0; r < r1; r++) {
                    Mem.toArray(ya, (long) r * n, row, 0, n);
                    for (int j = 0; j < n; j++) {
                        float v = row[j] + b[j];
                        row[j] = relu ? Math.max(v, 0f) : v;
                    }
                    Mem.fromArray(row, 0, ya, (long) r * n, n);
                }
            }
        });
        out.written();
        return out;
    }

    /** {@code Backend.linearForward}: the product as {@code matmul} makes it, then bias and ReLU in one in-place pass. */
    static Tensor training(CpuBackend backend, Tensor x, Tensor w, Tensor bias, boolean relu) {
        CpuTensor cb = bias == null ? null : CpuChecks.cpu("linearForward", "bias", bias);
        int n = ArgChecks.matmul(x, false, w, true)[2];
        if (bias != null && (bias.shape().rank() != 1 || bias.shape().dim(0) != n)) {
            throw new IllegalArgumentException("linearForward: bias " + bias.shape() + " does not match weight " + w.shape() + ", expected [" + n + "]");
        }
        CpuTensor y = (CpuTensor) backend.matmul(x, false, w, true);
        if ((bias != null || relu) && y.numel() > 0) {
            CpuLoops.biasReluInPlace(y.address(), cb == null ? 0L : cb.address(), y.shape().dim(0), n, relu);
            y.written();
        }
        return y;
    }

    /** {@code Backend.reluBackwardSumRows}: {dz, db} in one pass. */
    static Tensor[] reluBackwardSumRows(CpuBackend backend, Tensor y, Tensor gradOut) {
        String op = "reluBackwardSumRows";
        CpuTensor cy = CpuChecks.cpu(op, "y", y);
        CpuTensor cg = CpuChecks.cpu(op, "gradOut", gradOut);
        ArgChecks.sameShape(op, "y", y, "gradOut", gradOut);
        ArgChecks.rank(op, "y", y, 2);
        int rows = y.shape().dim(0), f = y.shape().dim(1);
        CpuTensor dz = CpuTensor.allocate(backend, y.shape());
        CpuTensor db = CpuTensor.allocate(backend, Shape.of(f));
        if (f > 0) {
            if (rows == 0) Mem.zero(db.address(), f);
            else CpuLoops.reluMaskSumRows(cy.address(), cg.address(), dz.address(), db.address(), rows, f);
        }
        dz.written();
        db.written();
        return new Tensor[] {dz, db};
    }
}
