package dev.nncompress.backend.cuda;

import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who keeps a lent device block: a forgotten tensor's block goes back to the pool once the garbage
 * collector finds it, but a buffer an op still holds keeps its block even when no tensor over it is
 * reachable any more. The second case failed in CI ("device buffer ... used after close" inside
 * toFloatArray) while the Cleaner sat on the tensors' shared storage. Skips without a usable GPU.
 */
@Tag("gpu")
class DeviceBufferReleaseGpuTest {

    @Test void aBufferStillHeldKeepsItsBlockAfterItsTensorsAreGone() throws InterruptedException {
        Gpu.driverOrSkip();
        try (CudaBackend gpu = new CudaBackend()) {
            float[] data = new float[4096];
            for (int i = 0; i < data.length; i++) data[i] = i * 0.5f;
            CudaTensor tensor = (CudaTensor) gpu.fromFloats(data, Shape.of(data.length));
            DeviceBuffer held = tensor.buffer(); // what an op holds between its argument checks and its launch or copy
            tensor = null;
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertArrayEquals(data, held.toFloats(), "the held buffer was neither closed nor given to another tensor");
        }
    }

    @Test void aForgottenTensorGivesItsBlockBack() throws InterruptedException {
        Gpu.driverOrSkip();
        try (CudaBackend gpu = new CudaBackend()) {
            long before = gpu.memory().bytesInUse();
            forget(gpu);
            assertTrue(gpu.memory().bytesInUse() > before, "the forgotten tensor holds a block");
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (gpu.memory().bytesInUse() > before && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(20);
            }
            assertTrue(gpu.memory().bytesInUse() <= before, "the Cleaner gave the forgotten block back to the pool");
        }
    }

    private static void forget(CudaBackend gpu) {
        Tensor t = gpu.fromFloats(new float[1 << 16], Shape.of(1 << 16));
        assertTrue(t.numel() > 0);
    }
}
