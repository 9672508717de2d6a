package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.driver.Kernel;
import jcuda.driver.CUdeviceptr;

import java.util.Locale;

/**
 * Launches the int8 GEMM kernels of {@code cuda-kernels/gemm_s8.cu}: {@code C = epilogue(A x B^T)}, A [m, k]
 * and B [n, k] int8 row-major, C [m, n] int32 / float / int8 by the epilogue's mode; semantics and CPU
 * twin: {@code ReferenceGemmS8}. Buffers must be whole {@link DeviceBuffer}s (cuMemAlloc aligns them to
 * 256 bytes; the cp.async kernel needs 16-byte aligned rows, which K % 16 == 0 then gives).
 */
public final class GemmS8 {
    /** Which kernel family runs. */
    public enum Variant {
        /** Tensor cores; the cp.async kernel when k % 16 == 0, else the byte-gathering one. */
        TENSOR_CORE,
        /** Tensor cores with the byte-gathering (any-K) loader even when k % 16 == 0: for tests and benchmarks. */
        TENSOR_CORE_ANY_K,
        /** {@code __dp4a} on the CUDA cores. */
        DP4A
    }

    /** System property forcing a variant ({@code tensor_core}, {@code tensor_core_any_k}, {@code dp4a}). */
    public static final String VARIANT_PROPERTY = "nncompress.gemms8.variant";

    // Launch geometry; must match the constants at the top of gemm_s8.cu (BM/BN, THREADS, SMEM_BYTES,
    // D_BM/D_BN, D_THREADS). A mismatch fails GemmS8GpuTest.
    public static final int MMA_TILE = 128;
    public static final int MMA_THREADS = 128;
    public static final int MMA_SHARED_BYTES = 65536;
    public static final int DP4A_TILE = 64;
    public static final int DP4A_THREADS = 256;
    private static final int MAX_GRID_Y = 65_535;

    private GemmS8() {}

    /** Tensor cores from compute capability 7.5 on (int8 mma), else dp4a; {@value #VARIANT_PROPERTY} overrides. */
    public static Variant defaultVariant(CudaDriver.DeviceInfo device) {
        String forced = System.getProperty(VARIANT_PROPERTY);
        if (forced != null && !forced.isBlank()) {
            try {
                return Variant.valueOf(forced.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(VARIANT_PROPERTY + "=" + forced + " is none of tensor_core, tensor_core_any_k, dp4a");
            }
        }
        // the CPU emulation (CudaEmulation, compute capability 9.0) runs the tensor-core kernels too: their
        // inline PTX has warp-collective emulations (cuda-kernels/emu/ptx_emu.h)
        boolean tensorCores = device.ccMajor() > 7 || (device.ccMajor() == 7 && device.ccMinor() >= 5);
        return tensorCores ? Variant.TENSOR_CORE : Variant.DP4A;
    }

    /** The kernel a variant runs for a given k. */
    public static String kernelName(Variant variant, int k) {
        return switch (variant) {
            case TENSOR_CORE -> k % 16 == 0 ? "nnc_gemm_s8_mma" : "nnc_gemm_s8_mma_anyk";
            case TENSOR_CORE_ANY_K -> "nnc_gemm_s8_mma_anyk";
            case DP4A -> "nnc_gemm_s8_dp4a";
        };
    }

    /** Grid of output tiles: x over n, y over m. */
    public static Kernel.Dim3 grid(Variant variant, int m, int n) {
        int tile = variant == Variant.DP4A ? DP4A_TILE : MMA_TILE;
        int gy = (m + tile - 1) / tile;
        if (gy > MAX_GRID_Y) throw new IllegalArgumentException("gemm s8: m = " + m + " needs " + gy + " row tiles, more than " + MAX_GRID_Y);
        return Kernel.Dim3.of((n + tile - 1) / tile, gy);
    }

    /** Launches on the driver's stream (asynchronously) with the epilogue's vectors already on the device. */
    public static void launch(Variant variant, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int n, int k, DeviceEpilogue e) {
        if (m < 1 || n < 1 || k < 1) throw new IllegalArgumentException("gemm s8 needs m, n, k >= 1, got " + m + ", " + n + ", " + k);
        GemmS8Epilogue h = e.host();
        h.checkChannels(n);
        need(a, (long) m * k, "A");
        need(b, (long) n * k, "B");
        need(c, (long) m * n * h.outputBytes(), "C");
        boolean dp4a = variant == Variant.DP4A;
        Kernel kernel = CudaDriver.get().kernel(kernelName(variant, k));
        kernel.launch(grid(variant, m, n), Kernel.Dim3.of(dp4a ? DP4A_THREADS : MMA_THREADS), dp4a ? 0 : MMA_SHARED_BYTES,
                a, b, c, m, n, k, h.mode().code(), e.scale, e.bias, h.relu() ? 1 : 0, h.outScale(), h.outZp(), h.zpA(), e.wsum);
    }

    /** Uploads A and B, runs, and downloads C: the convenience path for tests and one-off calls. */
    public static GemmS8Output run(Variant variant, byte[] a, byte[] b, int m, int n, int k, GemmS8Epilogue e) {
        if ((long) m * k != a.length || (long) n * k != b.length) {
            throw new IllegalArgumentException("gemm s8: A has " + a.length + " and B " + b.length + " bytes for m, n, k = " + m + ", " + n + ", " + k);
        }
        try (DeviceBuffer da = DeviceBuffer.of(a); DeviceBuffer db = DeviceBuffer.of(b);
             DeviceBuffer dc = DeviceBuffer.allocate((long) m * n * e.outputBytes()); DeviceEpilogue de = DeviceEpilogue.upload(e)) {
            launch(variant, da, db, dc, m, n, k, de);
            return switch (e.mode()) {
                case S32 -> GemmS8Output.ofS32(dc.toInts());
                case F32 -> GemmS8Output.ofF32(dc.toFloats());
                case S8 -> GemmS8Output.ofS8(dc.toBytes());
            };
        }
    }

    private static void need(DeviceBuffer buf, long bytes, String what) {
        if (buf.bytes() < bytes) throw new IllegalArgumentException("gemm s8: " + what + " has " + buf.bytes() + " bytes, needs " + bytes);
    }

    /**
     * An epilogue's per-channel vectors (scale, bias, wsum) in device memory, uploaded once per layer;
     * absent ones are passed to the kernel as null pointers. Close after the GEMMs that use it finished.
     */
    public static final class DeviceEpilogue implements AutoCloseable {
        private final GemmS8Epilogue host;
        private final Object scale;
        private final Object bias;
        private final Object wsum;

        private DeviceEpilogue(GemmS8Epilogue host, Object scale, Object bias, Object wsum) {
            this.host = host;
            this.scale = scale;
            this.bias = bias;
            this.wsum = wsum;
        }

        public static DeviceEpilogue upload(GemmS8Epilogue e) { return upload(e, null); }

        /**
         * {@link #upload(GemmS8Epilogue)} into blocks of {@code pool} (null: allocations of their own), which go back
         * to the pool when closed or when the garbage collector finds them unreachable (the CUDA backend's int8 ops
         * keep one per layer while the layer's weight lives).
         */
        public static DeviceEpilogue upload(GemmS8Epilogue e, DeviceMemoryPool pool) {
            DeviceBuffer s = null, b = null, w = null;
            try {
                if (e.scale() != null) s = put(pool, 4L * e.scale().length, d -> d.write(e.scale()), () -> DeviceBuffer.of(e.scale()));
                if (e.bias() != null) b = put(pool, 4L * e.bias().length, d -> d.write(e.bias()), () -> DeviceBuffer.of(e.bias()));
                if (e.zpA() != 0) w = put(pool, 4L * e.wsum().length, d -> d.write(e.wsum()), () -> DeviceBuffer.of(e.wsum()));
            } catch (RuntimeException ex) {
                closeAll(s, b, w);
                throw ex;
            }
            return new DeviceEpilogue(e, orNull(s), orNull(b), orNull(w));
        }

        private static DeviceBuffer put(DeviceMemoryPool pool, long bytes, java.util.function.Consumer<DeviceBuffer> write,
                                        java.util.function.Supplier<DeviceBuffer> own) {
            if (pool == null) return own.get();
            DeviceBuffer d = pool.take(bytes);
            try {
                write.accept(d);
            } catch (RuntimeException ex) {
                d.close();
                throw ex;
            }
            return d;
        }

        public GemmS8Epilogue host() { return host; }

        /** The scale vector and the bias (a null pointer when absent), for the kernels that share this epilogue ({@link Int8Codes#depthwise}). */
        Object scale() { return scale; }

        Object bias() { return bias; }

        private static Object orNull(DeviceBuffer b) { return b != null ? b : new CUdeviceptr(); } // CUdeviceptr() is address 0

        private static void closeAll(Object... buffers) {
            for (Object o : buffers) if (o instanceof DeviceBuffer d) d.close();
        }

        @Override public void close() { closeAll(scale, bias, wsum); }
    }
}
