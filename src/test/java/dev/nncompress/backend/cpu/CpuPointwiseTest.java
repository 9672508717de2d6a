package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.PointwiseContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The pointwise contract on the CPU backend: its loops call the reference's definitions, so even exp and tanh agree bit for bit. */
class CpuPointwiseTest extends PointwiseContractTest {
    private static CpuBackend cpu;

    @BeforeAll static void open() { cpu = new CpuBackend(); }

    @AfterAll static void close() { cpu.close(); }

    @Override protected Backend backend() { return cpu; }

    @Override protected double transcendental() { return 1e-6; } // FastActivations: 3.6e-7 forward, twice that through a gradient
}
