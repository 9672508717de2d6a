package dev.nncompress.backend.cuda;

import dev.nncompress.backend.BackendUnavailableException;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The choice between a vendor library and our kernels, the one-line reasons, and the plumbing that
 * hands our memory to bytedeco, all without a GPU (the vendor side is a stand-in here; the real
 * libraries are exercised by the gpu-tagged VendorBlasGpuTest and VendorConvGpuTest).
 */
class LibraryChoiceTest {
    static final String P = "nncompress.cuda.blas";

    @Test
    void modesParseAndABadValueNamesTheProperty() {
        assertEquals(LibraryChoice.Mode.AUTO, LibraryChoice.parse(P, null, "cublas"));
        assertEquals(LibraryChoice.Mode.AUTO, LibraryChoice.parse(P, " Auto ", "cublas"));
        assertEquals(LibraryChoice.Mode.VENDOR, LibraryChoice.parse(P, "cuBLAS", "cublas"));
        assertEquals(LibraryChoice.Mode.OWN, LibraryChoice.parse(P, "own", "cublas"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LibraryChoice.parse(P, "mkl", "cublas"));
        assertEquals("-Dnncompress.cuda.blas=mkl: expected auto, cublas or own", e.getMessage());
    }

    @Test
    void ownIsChosenWithoutLoadingAnything() {
        AtomicInteger loads = new AtomicInteger();
        var c = LibraryChoice.pick(P, LibraryChoice.Mode.OWN, "cuBLAS", "own gemm_f32", () -> { loads.incrementAndGet(); return null; },
                () -> "vendor", s -> s);
        assertNull(c.vendor());
        assertEquals("own gemm_f32 (-Dnncompress.cuda.blas=own)", c.summary());
        assertEquals(0, loads.get());
    }

    @Test
    void autoTakesTheVendorWhenItLoadsAndSaysItsName() {
        var c = LibraryChoice.pick(P, LibraryChoice.Mode.AUTO, "cuBLAS", "own gemm_f32", () -> null, () -> "handle", s -> "cuBLAS 13.1.0");
        assertEquals("handle", c.vendor());
        assertEquals("cuBLAS 13.1.0", c.summary());
    }

    @Test
    void autoFallsBackWithTheLoadersReasonInOneLine() {
        var c = LibraryChoice.<String>pick(P, LibraryChoice.Mode.AUTO, "cuBLAS", "own gemm_f32", () -> "libcublas.so.13 not found",
                () -> { throw new AssertionError("must not open what did not load"); }, s -> s);
        assertNull(c.vendor());
        assertEquals("own gemm_f32 (cuBLAS unavailable: libcublas.so.13 not found)", c.summary());
    }

    @Test
    void autoFallsBackWhenOpeningFails() {
        var c = LibraryChoice.<String>pick(P, LibraryChoice.Mode.AUTO, "cuDNN", "own im2col", () -> null,
                () -> { throw new IllegalStateException("cudnnCreate failed: CUDNN_STATUS_NOT_INITIALIZED (1)\nmore"); }, s -> s);
        assertNull(c.vendor());
        assertEquals("own im2col (cuDNN unavailable: IllegalStateException: cudnnCreate failed: CUDNN_STATUS_NOT_INITIALIZED (1))",
                c.summary());
    }

    @Test
    void anExplicitVendorThatDoesNotLoadIsAnUnavailableBackendWithTheReason() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> LibraryChoice.pick(P,
                LibraryChoice.Mode.VENDOR, "cuBLAS", "own gemm_f32", () -> "libcublas.so.13 not found", () -> "x", s -> s));
        assertEquals("-Dnncompress.cuda.blas asks for cuBLAS, which is unavailable: libcublas.so.13 not found", e.getMessage());
    }

    @Test
    void aMissingSharedObjectIsNamedFromAnywhereInTheCauseChain() {
        Throwable t = new UnsatisfiedLinkError("no jnicublas in java.library.path");
        t.initCause(new UnsatisfiedLinkError("/root/.javacpp/cache/x/libjnicublas.so: libcublas.so.13: cannot open shared object file: No such file or directory"));
        assertEquals("libcublas.so.13 not found", BytedecoCuda.describe(new RuntimeException("wrapped", t)));
        assertEquals("NoClassDefFoundError: Could not initialize class X", BytedecoCuda.describe(new NoClassDefFoundError("Could not initialize class X\nat ...")));
    }

    @Test
    void loadingThePresetsNeverThrowsAndSaysWhyInOneLine() {
        // on this machine (no driver) the cuBLAS / cuDNN presets cannot load; where they can, null is right
        for (String preset : new String[] {CublasBlas.PRESET, CudnnHandle.PRESET}) {
            String why = BytedecoCuda.load(preset);
            if (CudaDriver.unavailableReason() != null) {
                assertTrue(why != null, preset + " loaded without a driver?");
            }
            if (why != null) assertFalse(why.contains("\n"), why);
        }
    }

    @Test
    void rawAddressesOfJcudaHandlesIncludeTheByteOffset() {
        CUdeviceptr p = new CUdeviceptr(); // not allocated: address 0, no driver needed
        assertEquals(0L, NativeAddress.of(p));
        assertEquals(4096L, NativeAddress.of(p.withByteOffset(4096)));
        assertEquals(4096L + 64, BytedecoCuda.floats(NativeAddress.of(p.withByteOffset(4096)) + 64).address());
    }

    @Test
    void cudnnAlgorithmsQualifyOnlyWhenDeterministicFp32AndWithinTheWorkspace() {
        // status 0 = success, determinism 1 = deterministic, math 3 = FMA, 0 = default, 1/2 = tensor ops
        assertTrue(CudnnConv.qualifies(0, 1, 3, 1 << 20, 1 << 20));
        assertTrue(CudnnConv.qualifies(0, 1, 0, 0, 0));
        assertFalse(CudnnConv.qualifies(9, 1, 3, 0, 1 << 20), "not supported");
        assertFalse(CudnnConv.qualifies(0, 0, 3, 0, 1 << 20), "non-deterministic (atomics)");
        assertFalse(CudnnConv.qualifies(0, 1, 1, 0, 1 << 20), "TF32 tensor cores");
        assertFalse(CudnnConv.qualifies(0, 1, 2, 0, 1 << 20), "tensor cores with conversion");
        assertFalse(CudnnConv.qualifies(0, 1, 3, (1 << 20) + 1, 1 << 20), "workspace over the limit");
    }
}
