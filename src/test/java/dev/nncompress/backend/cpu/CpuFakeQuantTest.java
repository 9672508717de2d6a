package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.FakeQuantContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The fake-quantisation contract on the CPU backend: the reference's loop in chunks over threads, so bit for bit. */
class CpuFakeQuantTest extends FakeQuantContractTest {
    private static CpuBackend cpu;

    @BeforeAll static void open() { cpu = new CpuBackend(); }

    @AfterAll static void close() { cpu.close(); }

    @Override protected Backend backend() { return cpu; }
}
