package dev.nncompress.backend.ref;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.FakeQuantContractTest;

/** The fake-quantisation contract on the reference backend: the hand-worked values and the checks (the oracle compared with itself elsewhere). */
class RefFakeQuantTest extends FakeQuantContractTest {
    @Override protected Backend backend() { return REF; }
}
