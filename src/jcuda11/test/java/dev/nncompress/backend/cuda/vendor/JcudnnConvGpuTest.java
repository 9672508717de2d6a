package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.Gpu;
import dev.nncompress.backend.cuda.VendorConvGpuTest;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.CudaConv;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.backend.cuda.kernels.OwnBlas;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code -Pjcuda11} builds only: JCudnn's convolution (cuDNN 8) against the ReferenceBackend on
 * {@link VendorConvGpuTest}'s odd shapes, with its tolerance (1e-5 of the largest |reference|) and its
 * check that cuDNN found an algorithm for every direction. Skips, naming the reason, without a GPU or
 * without libcudnn.so.8 (the lent GPU machines have cuDNN 9 only).
 */
@Tag("gpu")
class JcudnnConvGpuTest {
    @Test
    void jcudnnMatchesTheReference() {
        CudaDriver d = Gpu.driverOrSkip();
        String why = JcudnnHandle.loadFailure();
        Assumptions.assumeTrue(why == null, () -> "JCudnn unavailable: " + why);
        try (DeviceMemoryPool pool = new DeviceMemoryPool()) {
            CudaOps ops = new CudaOps(d);
            try (JcudnnConv conv = new JcudnnConv(new JcudnnHandle(d), pool, new CudaConv(ops, new OwnBlas(ops), pool))) {
                VendorConvGpuTest.check(conv, conv::route);
            }
        }
    }
}
