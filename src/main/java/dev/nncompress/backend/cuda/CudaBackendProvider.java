package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BackendProvider;
import dev.nncompress.backend.cuda.driver.CudaDriver;

/**
 * ServiceLoader entry for the CUDA backend: available when {@link CudaDriver} opened a device and
 * loaded our fatbin; otherwise its one-line reason ("no NVIDIA driver: libcuda.so.1 not found") is
 * what "auto" prints when it falls back.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override public String name() { return "cuda"; }

    @Override public int rank() { return 100; }

    @Override public String unavailableReason() { return CudaDriver.unavailableReason(); }

    @Override public Backend create() { return new CudaBackend(); }
}
