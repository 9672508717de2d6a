package dev.nncompress.backend.ref;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BackendProvider;

/** The plain-Java oracle: always available, slow; chosen by "auto" only when nothing else loads. */
public final class ReferenceBackendProvider implements BackendProvider {
    @Override public String name() { return "reference"; }

    @Override public int rank() { return 0; }

    @Override public String unavailableReason() { return null; }

    @Override public Backend create() { return new ReferenceBackend(); }

    @Override public boolean heapOnly() { return true; }
}
