package dev.nncompress.backend.cpu;

import dev.nncompress.backend.memory.Storage;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A tensor's memory stays held while native code may still use it after the tensor object became
 * unreachable (RecentStorages), and the Cleaner still reclaims a forgotten tensor once the thread has
 * moved on. The first test fails without RecentStorages: the storage is collected as soon as its tensor is.
 */
class CpuTensorReachabilityTest {
    private static final CpuBackend CPU = CpuBackendTest.CPU;

    @Test void memoryHandedToNativeCodeOutlivesItsTensorObject() throws InterruptedException {
        WeakReference<Storage<?>> storage = forgetAfterAddress();
        collect(storage, 5);
        assertNotNull(storage.get(), "the storage whose address an op just read is still reachable");
    }

    @Test void aForgottenTensorIsStillReclaimedLater() throws InterruptedException {
        WeakReference<Storage<?>> storage = forgetAfterAddress();
        for (int i = 0; i < RecentStorages.DEPTH; i++) {
            try (CpuTensor t = (CpuTensor) CPU.zeros(Shape.of(1))) {
                t.address(); // the later ops' address reads push the forgotten storage out of the ring
            }
        }
        collect(storage, 200);
        assertNull(storage.get(), "the Cleaner's backstop still reaches a forgotten tensor");
    }

    /** What an op does: reads the address, then no longer refers to the tensor. */
    private static WeakReference<Storage<?>> forgetAfterAddress() {
        CpuTensor t = (CpuTensor) CPU.fromFloats(new float[1000], Shape.of(1000));
        t.address();
        return new WeakReference<>(t.storage());
    }

    private static void collect(WeakReference<?> ref, int rounds) throws InterruptedException {
        for (int i = 0; i < rounds && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
    }
}
