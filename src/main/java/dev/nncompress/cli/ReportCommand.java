package dev.nncompress.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.pipeline.Report;
import dev.nncompress.pipeline.Summary;
import dev.nncompress.pipeline.SweepReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code nncompress report RUN_DIR}: draws report.html again from a recipe run's report.json. */
@Command(name = "report", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {"Re-render a recipe run's report.html from its report.json (after 'compress --recipe'), or a sweep's from its sweep.json "
                + "(after 'sweep').",
                "Example: nncompress report runs/quick"})
final class ReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "The run directory of 'compress --recipe' or of 'sweep'.")
    Path runDir;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        if (SweepReport.isSweep(runDir)) {
            SweepReport s = SweepReport.rerender(runDir);
            json.text().printf("wrote %s (sweep view, %d points)%n", runDir.resolve(Report.HTML), s.points().size());
            json.print(results(runDir, SweepReport.JSON, "sweep"));
            return Main.EXIT_OK;
        }
        Report r = Report.rerender(runDir);
        Summary.of(r).print(json.text());
        json.text().printf("wrote %s (%d stages)%n", runDir.resolve(Report.HTML), r.stages().size());
        json.print(results(runDir));
        return Main.EXIT_OK;
    }

    /** --json of compress and report: where the report is, and report.json itself (already validated by the caller). */
    static Map<String, Object> results(Path runDir) { return results(runDir, Report.JSON, "report"); }

    /** {@code runDir}'s page and its data file {@code json} (report.json or sweep.json) under {@code key}. */
    private static Map<String, Object> results(Path runDir, String json, String key) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run_dir", runDir.toString());
        m.put("html", runDir.resolve(Report.HTML).toString());
        try {
            m.put(key, new JsonMapper().readTree(runDir.resolve(json).toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(runDir.resolve(json) + ": " + e.getMessage(), e);
        }
        return m;
    }
}
