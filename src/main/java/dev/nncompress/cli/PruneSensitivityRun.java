package dev.nncompress.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.compress.prune.ImportanceCriterion;
import dev.nncompress.compress.prune.PruneSensitivity;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.data.Dataset;
import dev.nncompress.io.AtomicFiles;
import dev.nncompress.io.Provenance;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Locale;

/** {@code prune --sensitivity}: the per-layer accuracy-vs-sparsity table ({@link PruneSensitivity}), printed and optionally written as JSON. */
final class PruneSensitivityRun {
    private final PruneCommand cmd;
    private final ModelSource src;
    private final PruneTargets targets;
    private final ImportanceCriterion criterion;
    private final Dataset test;
    private final Backend backend;
    private final PrintWriter o;

    PruneSensitivityRun(PruneCommand cmd, ModelSource src, PruneTargets targets, ImportanceCriterion criterion, Dataset test, Backend backend, PrintWriter o) {
        this.cmd = cmd;
        this.src = src;
        this.targets = targets;
        this.criterion = criterion;
        this.test = test;
        this.backend = backend;
        this.o = o;
    }

    int run() {
        o.printf(Locale.ROOT, "model     %s%n", src.describe(cmd.seed));
        if (cmd.listSensitivityLayers) return SensitivityLayers.list(targets.layers(), o, cmd.json);
        o.printf(Locale.ROOT, "measure   %d layer(s) x %d level(s) = %d evaluations on %s test images%n", targets.layers().size(),
                cmd.sensitivityLevels.size(), targets.layers().size() * cmd.sensitivityLevels.size(), CliSupport.grouped(test.count()));
        o.flush();
        PruneSensitivity s = PruneSensitivity.measure(src.graph(), targets, cmd.sensitivityLevels, criterion, test, backend,
                ConsoleProgress.of(cmd.main.quiet, cmd.spec.commandLine().getErr()));
        for (String line : s.lines()) o.println("  " + line);
        if (cmd.report != null) {
            JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
            ObjectNode root = s.toJson();
            root.putPOJO("provenance", Provenance.collect(cmd.provenance(src)));
            try {
                AtomicFiles.write(cmd.report, json.writeValueAsBytes(root));
            } catch (IOException e) {
                throw new UncheckedIOException("--report " + cmd.report + ": " + e.getMessage(), e);
            }
            o.printf(Locale.ROOT, "wrote     %s%n", cmd.report);
        }
        cmd.json.print(s.toJson());
        return Main.EXIT_OK;
    }
}
