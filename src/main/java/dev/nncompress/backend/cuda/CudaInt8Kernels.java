package dev.nncompress.backend.cuda;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.Blas;
import dev.nncompress.backend.cuda.kernels.GemmS8;
import dev.nncompress.backend.cuda.vendor.VendorStack;
import dev.nncompress.backend.ref.JavaInt8Kernels;
import dev.nncompress.backend.ref.ReferenceGemmS8;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The int8 engine's GEMM on our CUDA kernels ({@code cuda-kernels/gemm_s8.cu}: tensor-core mma or dp4a,
 * {@link GemmS8#defaultVariant}): weights are uploaded once by {@link #pack} and stay on the device,
 * each epilogue's vectors once per layer; activations go up and results come down per call, as these are
 * host-array kernels. The CUDA backend does not run int8 models on them: {@code CudaBackend.withInt8Kernels}
 * of these kernels is the backend itself, whose int8 ops keep codes on the device ({@code CudaInt8Ops},
 * {@code CudaQGemm}); they are what {@code Backend.deviceInt8Kernels} names and what a host backend given them
 * would call (transfer-bound). im2col runs on the host (the Java twin's).
 * Bit-identical to {@code JavaInt8Kernels}, as the kernels are to {@code ReferenceGemmS8}.
 * The int32-output case without an activation zero point goes to the process's vendor BLAS
 * (cublasGemmEx, {@link Blas#gemmS8}) when the sizes qualify and no gemm_s8 variant is forced
 * ({@value GemmS8#VARIANT_PROPERTY}; {@code -Dnncompress.cuda.blas=own} keeps it on ours too); every fused
 * epilogue (float, requantised int8, zero point) stays on our gemm_s8, which cuBLAS has no equivalent of.
 * Both are exact integer sums, so the result is the same either way.
 */
public final class CudaInt8Kernels implements Int8Kernels {
    private final GemmS8.Variant variant;
    private final Blas vendor; // the process's vendor BLAS, null when ours
    private final boolean variantForced = !System.getProperty(GemmS8.VARIANT_PROPERTY, "").isBlank();
    private final JavaInt8Kernels host = new JavaInt8Kernels(1);
    private final Map<GemmS8Epilogue, GemmS8.DeviceEpilogue> epilogues = new IdentityHashMap<>();

    public CudaInt8Kernels() {
        CudaDriver driver = CudaDriver.get();
        this.variant = GemmS8.defaultVariant(driver.info());
        this.vendor = VendorStack.get(driver, false).vendorBlas();
    }

    /** Whether {@code vendor} (null: none) runs this GEMM instead of our gemm_s8: a pure rule, tested without a GPU. */
    static boolean useVendor(Blas vendor, boolean variantForced, GemmS8Epilogue e, int m, int n, int k) {
        return vendor != null && !variantForced && e.mode() == GemmS8Epilogue.Mode.S32 && e.zpA() == 0
                && vendor.gemmS8Refusal(m, n, k) == null;
    }

    @Override public String name() { return "cuda-" + variant.name().toLowerCase(java.util.Locale.ROOT); }

    @Override public int threads() { return 1; }

    private record Packed(DeviceBuffer b, int n, int k, int[] rowSums) implements PackedS8 {}

    @Override
    public PackedS8 pack(byte[] b, int n, int k) {
        return new Packed(DeviceBuffer.of(b), n, k, ReferenceGemmS8.weightRowSums(b, n, k));
    }

    @Override
    public synchronized void gemm(byte[] a, int m, PackedS8 packed, GemmS8Epilogue e, GemmS8Output out) {
        if (!(packed instanceof Packed p)) throw new IllegalArgumentException("gemm s8: weights were packed by another implementation");
        if ((long) m * p.k() > a.length) throw new IllegalArgumentException("gemm s8: A has " + a.length + " bytes, fewer than m*k = " + m + "*" + p.k());
        GemmS8.DeviceEpilogue de = epilogues.computeIfAbsent(e, GemmS8.DeviceEpilogue::upload);
        byte[] rows = a.length == (long) m * p.k() ? a : java.util.Arrays.copyOf(a, m * p.k());
        try (DeviceBuffer da = DeviceBuffer.of(rows); DeviceBuffer dc = DeviceBuffer.allocate((long) m * p.n() * e.outputBytes())) {
            if (useVendor(vendor, variantForced, e, m, p.n(), p.k())) vendor.gemmS8(da, p.b(), dc, m, p.n(), p.k());
            else GemmS8.launch(variant, da, p.b(), dc, m, p.n(), p.k(), de);
            int count = m * p.n();
            switch (e.mode()) {
                case S32 -> System.arraycopy(dc.toInts(), 0, out.s32(), 0, count);
                case F32 -> System.arraycopy(dc.toFloats(), 0, out.f32(), 0, count);
                case S8 -> System.arraycopy(dc.toBytes(), 0, out.s8(), 0, count);
            }
        }
    }

    @Override
    public void im2col(byte[] x, ConvGeometry g, byte pad, byte[] cols) { host.im2col(x, g, pad, cols); }

    @Override
    public void quantizeToNhwc(float[] x, int n, int c, int hw, float scale, int zeroPoint, byte[] q) {
        host.quantizeToNhwc(x, n, c, hw, scale, zeroPoint, q);
    }

    @Override
    public void maxPool(byte[] x, int n, int h, int w, int c, Pool2dSpec s, byte[] y) { host.maxPool(x, n, h, w, c, s, y); }

    @Override
    public void nhwcToNchw(byte[] x, int n, int hw, int c, byte[] y) { host.nhwcToNchw(x, n, hw, c, y); }
}
