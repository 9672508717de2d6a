package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.Kernel;

/**
 * The launches of our float kernels, each with its C signature spelled out once (argument types and
 * order must match exactly: Integer for int, Long for long long, Float, Double, DeviceBuffer for a
 * pointer). Empty work launches nothing (CUDA rejects empty grids).
 */
public final class CudaOps {
    /** Threads per block of the 1-D and per-channel kernels (a power of two, as block_sum needs). */
    public static final int BLOCK = 256;
    /** The SGEMM's tile (gemm_f32.cu BM, BN) and block size. */
    public static final int GEMM_TILE = 128;
    public static final int GEMM_THREADS = 256;
    private static final int MAX_GRID_YZ = 65_535;

    private final CudaDriver driver;

    public CudaOps(CudaDriver driver) { this.driver = driver; }

    /** A grid-stride kernel over {@code n} elements. */
    public void elementwise(String kernel, long n, Object... args) {
        if (n > 0) driver.kernel(kernel).launch1d(n, BLOCK, args);
    }

    /** A kernel with one block per channel (reductions over N and spatial positions). */
    public void perChannel(String kernel, int channels, Object... args) {
        if (channels > 0) driver.kernel(kernel).launch(Kernel.Dim3.of(channels), Kernel.Dim3.of(BLOCK), 0, args);
    }

    /**
     * nnc_gemm_f32: C[z] = alpha * op(A[z]) op(B[z]) + beta * C[z] for z in [0, batch), matrix z of X
     * at element offX + z * strideX; op(A) is m x k, op(B) k x n, leading dimensions are the stored
     * row lengths.
     */
    public void gemm(DeviceBuffer a, long offA, long strideA, int lda, boolean transA,
              DeviceBuffer b, long offB, long strideB, int ldb, boolean transB,
              DeviceBuffer c, long offC, long strideC, int ldc, int m, int n, int k, int batch, float alpha, float beta) {
        if (m == 0 || n == 0 || batch == 0) return;
        int gridY = (m + GEMM_TILE - 1) / GEMM_TILE;
        if (gridY > MAX_GRID_YZ || batch > MAX_GRID_YZ) {
            throw new IllegalArgumentException("gemm: " + m + " rows x batch " + batch + " exceed the grid limits ("
                    + MAX_GRID_YZ * GEMM_TILE + " rows, " + MAX_GRID_YZ + " matrices)");
        }
        Kernel.Dim3 grid = new Kernel.Dim3((n + GEMM_TILE - 1) / GEMM_TILE, gridY, batch);
        driver.kernel("nnc_gemm_f32").launch(grid, Kernel.Dim3.of(GEMM_THREADS), 0,
                a, offA, strideA, lda, transA ? 1 : 0,
                b, offB, strideB, ldb, transB ? 1 : 0,
                c, offC, strideC, ldc, m, n, k, alpha, beta);
    }

    /**
     * nnc_im2col for images [image0, image0 + images) of x into col[images][c*kh*kw][oh*ow], all channels
     * (every group's rows, group gi's at rows [gi, gi+1) * ckk()); dilated, with pH/pW the top/left pads.
     */
    public void im2col(DeviceBuffer x, DeviceBuffer col, int image0, int images, ConvGeometry g) {
        elementwise("nnc_im2col", (long) images * g.c() * g.kh() * g.kw() * g.p(), x, col, image0, images, g.c(), g.h(), g.w(), g.kh(), g.kw(),
                g.spec().strideH(), g.spec().strideW(), g.spec().padH(), g.spec().padW(), g.spec().dilationH(), g.spec().dilationW(), g.oh(), g.ow());
    }

    /** nnc_col2im: the adjoint of {@link #im2col}, overwriting dx's images [image0, image0 + images). */
    public void col2im(DeviceBuffer col, DeviceBuffer dx, int image0, int images, ConvGeometry g) {
        elementwise("nnc_col2im", (long) images * g.c() * g.h() * g.w(), col, dx, image0, images, g.c(), g.h(), g.w(), g.kh(),
                g.kw(), g.spec().strideH(), g.spec().strideW(), g.spec().padH(), g.spec().padW(), g.spec().dilationH(), g.spec().dilationW(), g.oh(),
                g.ow());
    }
}
