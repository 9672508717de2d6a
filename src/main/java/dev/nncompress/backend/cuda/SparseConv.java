package dev.nncompress.backend.cuda;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.sparse.CsrWeights;
import dev.nncompress.sparse.StructuredSparsity;
import jcuda.driver.CUdeviceptr;

import static jcuda.driver.JCudaDriver.cuMemsetD32Async;

/**
 * Launches {@code cuda-kernels/sparse_conv.cu} (structured) and {@code sparse_conv_csr.cu} (CSR):
 * pruned 2-D convolution, forward and backward, with structured ({@link StructuredSparsity}) or
 * unstructured ({@link CsrWeights}) weights and an optional uint8 output mask [N, OH, OW]. Semantics
 * and accumulation order are those of the CPU twin {@link dev.nncompress.backend.ref.ReferenceSparseConv};
 * the forward matches it bit for bit.
 * All launches are asynchronous on the driver's stream; buffers are float32 unless said otherwise.
 */
public final class SparseConv {
    private static final int THREADS = 128;
    private static final int BK = 8;
    private static final int CSR_PIXELS_PER_BLOCK = 512;     // nnc_sparse_conv_fwd_csr / bwd_input_csr: 128 threads x 4
    private static final int CSR_WEIGHT_PIXELS_PER_BLOCK = 1024;  // nnc_sparse_conv_bwd_weight_csr: 128 threads x 8

    static final String FWD_CSR = "nnc_sparse_conv_fwd_csr";
    static final String BWD_INPUT_CSR = "nnc_sparse_conv_bwd_input_csr";
    static final String BWD_WEIGHT_CSR = "nnc_sparse_conv_bwd_weight_csr";
    static final String BWD_BIAS = "nnc_sparse_conv_bwd_bias";
    static final String ZERO_PLANES = "nnc_sparse_conv_zero_planes";
    /** Structured kernel families; the full name appends the tile, e.g. {@code nnc_sparse_conv_fwd_structured_16x512}. */
    static final String FWD_STRUCTURED = "nnc_sparse_conv_fwd_structured_";
    static final String BWD_INPUT_STRUCTURED = "nnc_sparse_conv_bwd_input_structured_";
    static final String BWD_WEIGHT_STRUCTURED = "nnc_sparse_conv_bwd_weight_structured_";

    private SparseConv() {}

    private static int sms() { return CudaDriver.get().info().multiprocessors(); }

    /** Structured sparsity on the device: kept and pruned lists (int32). */
    public static final class DeviceStructured implements AutoCloseable {
        final StructuredSparsity sparsity;
        final DeviceBuffer keptOut, keptIn, prunedOut, prunedIn;

        public DeviceStructured(StructuredSparsity s) {
            this.sparsity = s;
            this.keptOut = DeviceBuffer.of(s.keptOut());
            this.keptIn = DeviceBuffer.of(s.keptIn());
            this.prunedOut = DeviceBuffer.of(s.prunedOut());
            this.prunedIn = DeviceBuffer.of(s.prunedIn());
        }

        public StructuredSparsity sparsity() { return sparsity; }

        @Override public void close() {
            keptOut.close();
            keptIn.close();
            prunedOut.close();
            prunedIn.close();
        }
    }

    /** CSR weights on the device, with their per-input-channel transpose for the input gradient. */
    public static final class DeviceCsr implements AutoCloseable {
        final CsrWeights weights;
        final DeviceBuffer rowPtr, tap, value, colPtr, tapT, valueT;

        public DeviceCsr(CsrWeights w) {
            this.weights = w;
            CsrWeights t = w.transpose();
            this.rowPtr = DeviceBuffer.of(w.rowPtr());
            this.tap = DeviceBuffer.of(w.tap());
            this.value = DeviceBuffer.of(w.value());
            this.colPtr = DeviceBuffer.of(t.rowPtr());
            this.tapT = DeviceBuffer.of(t.tap());
            this.valueT = DeviceBuffer.of(t.value());
        }

        public CsrWeights weights() { return weights; }

        @Override public void close() {
            rowPtr.close();
            tap.close();
            value.close();
            colPtr.close();
            tapT.close();
            valueT.close();
        }
    }

    /** y[N,O,OH,OW] = conv(x, w at kept blocks) + bias of kept filters; pruned filters and masked positions 0. */
    public static void forwardStructured(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceStructured s,
                                         DeviceBuffer mask, DeviceBuffer y) {
        checkStructured(g, s);
        need("x", x, 4 * g.inputSize());
        need("w", w, 4 * g.weightSize());
        if (bias != null) need("bias", bias, 4L * g.o());
        need("mask", mask, g.maskSize());
        need("y", y, 4 * g.outputSize());
        zeroPlanes(y, s.prunedOut, s.sparsity.prunedOut().length, g.n(), g.o(), g.p());
        int ko = s.sparsity.keptOut().length;
        if (ko == 0) return;
        long cols = (long) g.n() * g.p();
        Tile t = Tile.of(ko, cols, true, sms());
        Kernel.Dim3 grid = new Kernel.Dim3(blocks(cols, t.tn), blocks(ko, t.tm), 1);
        kernel(FWD_STRUCTURED + t).launch(grid, Kernel.Dim3.of(THREADS), 0,
                args(g, ptr(x), ptr(w), ptr(bias), ptr(mask), ptr(s.keptOut), ko, ptr(s.keptIn), s.sparsity.keptIn().length, ptr(y)));
    }

    /**
     * Gradients of {@link #forwardStructured}: dx[N,C,H,W] (0 for channels not kept), dw full OIHW
     * (0 outside the kept blocks), db[O] when not null (0 for pruned filters). Masked positions pass no gradient.
     */
    public static void backwardStructured(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer gy, DeviceStructured s,
                                          DeviceBuffer mask, DeviceBuffer dx, DeviceBuffer dw, DeviceBuffer db) {
        checkStructured(g, s);
        need("x", x, 4 * g.inputSize());
        need("w", w, 4 * g.weightSize());
        need("gradOut", gy, 4 * g.outputSize());
        need("mask", mask, g.maskSize());
        need("dx", dx, 4 * g.inputSize());
        need("dw", dw, 4 * g.weightSize());
        if (db != null) need("db", db, 4L * g.o());
        int ko = s.sparsity.keptOut().length;
        int ki = s.sparsity.keptIn().length;
        CudaDriver d = CudaDriver.get();
        d.makeCurrent();
        cuMemsetD32Async(dw.pointer(), 0, g.weightSize(), d.stream());  // atomics add into it; pruned blocks stay 0
        zeroPlanes(dx, s.prunedIn, g.c() - ki, g.n(), g.c(), (long) g.h() * g.w());
        if (db != null) zeroPlanes(db, s.prunedOut, g.o() - ko, 1, g.o(), 1);
        if (ki > 0) {
            long cols = (long) g.n() * g.h() * g.w();
            Tile t = Tile.of(ki, cols, true, sms());
            Kernel.Dim3 grid = new Kernel.Dim3(blocks(cols, t.tn), blocks(ki, t.tm), 1);
            kernel(BWD_INPUT_STRUCTURED + t).launch(grid, Kernel.Dim3.of(THREADS), 0,
                    args(g, ptr(gy), ptr(w), ptr(mask), ptr(s.keptOut), ko, ptr(s.keptIn), ki, ptr(dx)));
        }
        if (ko > 0 && ki > 0) {
            long pixels = (long) g.n() * g.p();
            long cols = (long) ki * g.kh() * g.kw();
            Tile t = Tile.of(ko, cols, false, sms());  // the pixel split below fills the GPU
            int gx = blocks(cols, t.tn);
            int gyTiles = blocks(ko, t.tm);
            // split the pixel sum so that the few output tiles still fill the GPU (8 blocks per SM)
            long target = 8L * sms();
            long splits = Math.max(1, Math.min(ceilDiv(pixels, 64), ceilDiv(target, (long) gx * gyTiles)));
            long perSplit = ceilDiv(ceilDiv(pixels, splits), BK) * BK;
            splits = ceilDiv(pixels, perSplit);
            kernel(BWD_WEIGHT_STRUCTURED + t).launch(new Kernel.Dim3(gx, gyTiles, (int) splits), Kernel.Dim3.of(THREADS), 0,
                    args(g, ptr(x), ptr(gy), ptr(mask), ptr(s.keptOut), ko, ptr(s.keptIn), ki, ptr(dw), (int) perSplit));
        }
        if (db != null && ko > 0) {
            kernel(BWD_BIAS).launch(Kernel.Dim3.of(ko), Kernel.Dim3.of(256), 0,
                    ptr(gy), ptr(mask), ptr(s.keptOut), ptr(db), g.n(), g.o(), g.p());
        }
    }

    /** y[N,O,OH,OW] = conv(x, CSR weights) + bias; masked positions 0. */
    public static void forwardCsr(ConvGeometry g, DeviceBuffer x, DeviceCsr w, DeviceBuffer bias, DeviceBuffer mask, DeviceBuffer y) {
        checkCsr(g, w);
        need("x", x, 4 * g.inputSize());
        if (bias != null) need("bias", bias, 4L * g.o());
        need("mask", mask, g.maskSize());
        need("y", y, 4 * g.outputSize());
        Kernel.Dim3 grid = new Kernel.Dim3(blocks((long) g.n() * g.p(), CSR_PIXELS_PER_BLOCK), g.o(), 1);
        kernel(FWD_CSR).launch(grid, Kernel.Dim3.of(THREADS), 0,
                args(g, ptr(x), ptr(w.rowPtr), ptr(w.tap), ptr(w.value), ptr(bias), ptr(mask), ptr(y)));
    }

    /** Gradients of {@link #forwardCsr}: dx[N,C,H,W], dValue[nnz] in CSR order, db[O] when not null. */
    public static void backwardCsr(ConvGeometry g, DeviceBuffer x, DeviceCsr w, DeviceBuffer gy, DeviceBuffer mask, DeviceBuffer dx,
                                   DeviceBuffer dValue, DeviceBuffer db) {
        checkCsr(g, w);
        need("x", x, 4 * g.inputSize());
        need("gradOut", gy, 4 * g.outputSize());
        need("mask", mask, g.maskSize());
        need("dx", dx, 4 * g.inputSize());
        need("dValue", dValue, 4L * w.weights.nnz());
        if (db != null) need("db", db, 4L * g.o());
        CudaDriver d = CudaDriver.get();
        d.makeCurrent();
        if (w.weights.nnz() > 0) cuMemsetD32Async(dValue.pointer(), 0, w.weights.nnz(), d.stream());
        kernel(BWD_INPUT_CSR).launch(new Kernel.Dim3(blocks((long) g.n() * g.h() * g.w(), CSR_PIXELS_PER_BLOCK), g.c(), 1),
                Kernel.Dim3.of(THREADS), 0, args(g, ptr(gy), ptr(w.colPtr), ptr(w.tapT), ptr(w.valueT), ptr(mask), ptr(dx)));
        if (w.weights.nnz() > 0) {
            kernel(BWD_WEIGHT_CSR).launch(new Kernel.Dim3(blocks((long) g.n() * g.p(), CSR_WEIGHT_PIXELS_PER_BLOCK), g.o(), 1),
                    Kernel.Dim3.of(THREADS), 0, args(g, ptr(x), ptr(gy), ptr(w.rowPtr), ptr(w.tap), ptr(mask), ptr(dValue)));
        }
        if (db != null) {
            kernel(BWD_BIAS).launch(Kernel.Dim3.of(g.o()), Kernel.Dim3.of(256), 0,
                    ptr(gy), ptr(mask), new CUdeviceptr(), ptr(db), g.n(), g.o(), g.p());
        }
    }

    /**
     * Tile TM x TN of the structured kernels for {@code rows} kept filters or channels over {@code cols}
     * columns: TM by rows (few rows take a wide pixel tile, see sparse_conv.cu); the half-size tile
     * (4 rows per thread) when the 8x8-per-thread one would give fewer than 2 blocks per SM. The
     * harness (sparse_conv_harness.cu, tileFor) makes the same choice.
     */
    record Tile(int tm, int tn) {
        static Tile of(int rows, long cols, boolean allowHalf, int sms) {
            int tm = rows <= 16 ? 16 : rows <= 32 ? 32 : 64;
            Tile full = new Tile(tm, 8192 / tm);
            long fullBlocks = ceilDiv(cols, full.tn) * ceilDiv(rows, tm);
            if (allowHalf && tm < 64 && fullBlocks < 2L * sms) return new Tile(tm, 4096 / tm);
            return full;
        }

        @Override public String toString() { return tm + "x" + tn; }
    }

    private static void zeroPlanes(DeviceBuffer t, DeviceBuffer planes, int nPlanes, int n, int channels, long p) {
        if (nPlanes == 0) return;
        // grid.y over planes, grid.x over the positions of one plane (sparse_conv.cu)
        Kernel.Dim3 grid = new Kernel.Dim3((int) Math.max(1, Math.min(ceilDiv(p, 1024), 64)), Math.max(1, Math.min(n * nPlanes, 2048)), 1);
        kernel(ZERO_PLANES).launch(grid, Kernel.Dim3.of(256), 0, ptr(t), ptr(planes), nPlanes, n, channels, p);
    }

    /** {@code head} followed by the fifteen int geometry arguments every conv kernel ends with, in the C order. */
    private static Object[] args(ConvGeometry g, Object... head) {
        Object[] geometry = {g.n(), g.c(), g.h(), g.w(), g.o(), g.kh(), g.kw(), g.oh(), g.ow(), g.spec().strideH(), g.spec().strideW(),
                g.spec().padH(), g.spec().padW(), g.spec().dilationH(), g.spec().dilationW()};
        Object[] all = java.util.Arrays.copyOf(head, head.length + geometry.length);
        System.arraycopy(geometry, 0, all, head.length, geometry.length);
        return all;
    }

    private static Kernel kernel(String name) { return CudaDriver.get().kernel(name); }

    private static Object ptr(DeviceBuffer b) { return b == null ? new CUdeviceptr() : b; }

    private static ConvGeometry checkStructured(ConvGeometry g, DeviceStructured s) {
        checkGeometry(g);
        if (s == null) throw new IllegalArgumentException("sparse conv: structured sparsity is null");
        if (s.sparsity.outChannels() != g.o() || s.sparsity.inChannels() != g.c()) {
            throw new IllegalArgumentException("sparse conv: " + s.sparsity + " does not match weight [" + g.o() + ", " + g.c() + ", ...]");
        }
        return g;
    }

    private static ConvGeometry checkCsr(ConvGeometry g, DeviceCsr w) {
        checkGeometry(g);
        if (w == null) throw new IllegalArgumentException("sparse conv: CSR weights are null");
        CsrWeights cw = w.weights;
        if (cw.outChannels() != g.o() || cw.inChannels() != g.c() || cw.kh() != g.kh() || cw.kw() != g.kw()) {
            throw new IllegalArgumentException("sparse conv: " + cw + " does not match weight [" + g.o() + ", " + g.c() + ", " + g.kh() + ", " + g.kw() + "]");
        }
        return g;
    }

    private static ConvGeometry checkGeometry(ConvGeometry g) {
        if (g == null) throw new IllegalArgumentException("sparse conv: geometry is null");
        // the kernels index with 32-bit ints, and grid.y holds a filter or channel
        if (g.inputSize() >= Integer.MAX_VALUE || g.weightSize() >= Integer.MAX_VALUE || g.outputSize() >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("sparse conv: tensors of 2^31 or more elements are not supported: " + g);
        }
        if (g.o() > 65_535 || g.c() > 65_535) throw new IllegalArgumentException("sparse conv: more than 65535 channels: " + g);
        if (g.groups() != 1) throw new IllegalArgumentException("sparse conv: " + g.groups() + " groups; the sparse kernels take one group");
        return g;
    }

    private static void need(String name, DeviceBuffer b, long bytes) {
        if (b == null) {
            if (name.equals("mask")) return;  // the one optional buffer checked here
            throw new IllegalArgumentException("sparse conv: " + name + " buffer is null");
        }
        if (b.bytes() < bytes) throw new IllegalArgumentException("sparse conv: " + name + " buffer has " + b.bytes() + " bytes, needs " + bytes);
    }

    private static int blocks(long n, int per) {
        long b = ceilDiv(n, per);
        if (b > Integer.MAX_VALUE) throw new IllegalArgumentException("sparse conv: grid of " + b + " blocks is too large");
        return (int) Math.max(1, b);
    }

    private static long ceilDiv(long a, long b) { return (a + b - 1) / b; }
}
