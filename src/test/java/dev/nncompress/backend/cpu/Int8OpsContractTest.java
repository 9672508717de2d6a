package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Int8OpsContract;
import org.junit.jupiter.api.BeforeAll;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link Int8OpsContract} on the cpu backend: our JNI int8 kernels against the Java twin. */
class Int8OpsContractTest extends Int8OpsContract {
    private static Backend cpu;

    @BeforeAll
    static void nativeKernels() {
        cpu = new CpuBackend();
        assumeTrue(cpu.int8Kernels().startsWith("native"), "native int8 kernels not loaded: " + cpu.int8Kernels());
    }

    @Override protected Backend other() { return cpu; }
}
