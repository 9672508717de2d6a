package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** The {@code --backend} option of every command that computes (a picocli mixin): one label, one default, one check. */
public final class BackendOption {
    @Option(names = "--backend", defaultValue = "${sys:nncompress.backend:-auto}", paramLabel = "BACKEND",
            completionCandidates = Choices.BackendNames.class,
            description = "Compute backend: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; auto takes the best available and says which).")
    String name;

    /** A usage error listing the known names, before any data is loaded. */
    void check() { CliSupport.checkBackendName(name); }

    /** The backend, announced in one line on {@code err}. */
    Backend create(PrintWriter err) { return CliSupport.createBackend(name, err); }
}
