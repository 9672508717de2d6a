package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.NativeAddress;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

import java.util.List;
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

    static final List<String> WORDS = List.of("cublas", "jcublas");

    /** A stand-in candidate: {@code failure} null means its library loads, and it opens as {@code handle}. */
    static LibraryChoice.Candidate<String> candidate(String word, String label, String failure, String handle, AtomicInteger loads) {
        return new LibraryChoice.Candidate<>(word, label, () -> { loads.incrementAndGet(); return failure; }, () -> {
            if (handle == null) throw new IllegalStateException("cublasCreate failed: CUBLAS_STATUS_NOT_INITIALIZED (1)\nmore");
            return handle;
        }, h -> h + " name");
    }

    @Test
    void modesParseAndABadValueNamesTheProperty() {
        assertEquals("auto", LibraryChoice.parse(P, null, WORDS));
        assertEquals("auto", LibraryChoice.parse(P, " Auto ", WORDS));
        assertEquals("cublas", LibraryChoice.parse(P, "cuBLAS", WORDS));
        assertEquals("jcublas", LibraryChoice.parse(P, "JCublas", WORDS));
        assertEquals("own", LibraryChoice.parse(P, "own", WORDS));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LibraryChoice.parse(P, "mkl", WORDS));
        assertEquals("-Dnncompress.cuda.blas=mkl: expected auto, cublas, jcublas or own", e.getMessage());
    }

    @Test
    void ownIsChosenWithoutLoadingAnything() {
        AtomicInteger loads = new AtomicInteger();
        var c = LibraryChoice.pick(P, "own", "own gemm_f32", List.of(candidate("cublas", "cuBLAS 13", null, "h", loads)));
        assertNull(c.vendor());
        assertEquals("own gemm_f32 (-Dnncompress.cuda.blas=own)", c.summary());
        assertEquals(0, loads.get());
    }

    @Test
    void autoTakesTheFirstCandidateThatLoadsAndDoesNotTryTheRest() {
        AtomicInteger first = new AtomicInteger(), second = new AtomicInteger();
        var c = LibraryChoice.pick(P, "auto", "own gemm_f32", List.of(candidate("cublas", "cuBLAS 13", null, "bytedeco", first),
                candidate("jcublas", "JCublas 12.6.0", null, "jcublas", second)));
        assertEquals("bytedeco", c.vendor());
        assertEquals("bytedeco name", c.summary());
        assertEquals(1, first.get());
        assertEquals(0, second.get());
    }

    @Test
    void autoTakesTheSecondCandidateAndSaysWhyNotTheFirst() {
        AtomicInteger loads = new AtomicInteger();
        var c = LibraryChoice.pick(P, "auto", "own gemm_f32", List.of(candidate("cublas", "cuBLAS 13", "libcublas.so.13 not found", null, loads),
                candidate("jcublas", "JCublas 12.6.0", null, "jcublas", loads)));
        assertEquals("jcublas", c.vendor());
        assertEquals("jcublas name (cuBLAS 13 unavailable: libcublas.so.13 not found)", c.summary());
    }

    @Test
    void autoFallsBackToOursWithEveryRefusalInOneLine() {
        AtomicInteger loads = new AtomicInteger();
        var c = LibraryChoice.pick(P, "auto", "own gemm_f32", List.of(candidate("cublas", "cuBLAS 13", "libcublas.so.13 not found", "never", loads),
                candidate("jcublas", "JCublas 12.6.0", null, null, loads)));
        assertNull(c.vendor());
        assertEquals("own gemm_f32 (cuBLAS 13 unavailable: libcublas.so.13 not found; JCublas 12.6.0 unavailable: "
                + "IllegalStateException: cublasCreate failed: CUBLAS_STATUS_NOT_INITIALIZED (1))", c.summary());
        assertFalse(c.summary().contains("\n"));
    }

    @Test
    void anExplicitCandidateIsTheOnlyOneTriedAndItsFailureIsAnUnavailableBackend() {
        AtomicInteger first = new AtomicInteger(), second = new AtomicInteger();
        var c = LibraryChoice.pick(P, "jcublas", "own gemm_f32", List.of(candidate("cublas", "cuBLAS 13", null, "bytedeco", first),
                candidate("jcublas", "JCublas 12.6.0", null, "jcublas", second)));
        assertEquals("jcublas", c.vendor());
        assertEquals(0, first.get());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> LibraryChoice.pick(P, "cublas", "own gemm_f32",
                List.of(candidate("cublas", "cuBLAS 13", "libcublas.so.13 not found", "x", first),
                        candidate("jcublas", "JCublas 12.6.0", null, "jcublas", second))));
        assertEquals("-Dnncompress.cuda.blas asks for cuBLAS 13, which is unavailable: libcublas.so.13 not found", e.getMessage());
        assertEquals(1, second.get(), "jcublas is not tried when cublas is asked for");
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
