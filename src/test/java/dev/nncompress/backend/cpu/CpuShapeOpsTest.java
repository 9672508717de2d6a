package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ShapeOpsContractTest;

/** The shapes family's contract for CpuBackend: concat, split and means bit-identical to the reference, pools within its tolerances. */
class CpuShapeOpsTest extends ShapeOpsContractTest {
    private static final CpuBackend CPU = new CpuBackend();

    @Override protected Backend backend() { return CPU; }
}
