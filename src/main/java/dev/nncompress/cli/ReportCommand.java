package dev.nncompress.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.pipeline.Report;
import dev.nncompress.pipeline.Summary;
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
        description = {"Re-render a recipe run's report.html from its report.json (after 'compress --recipe').",
                "Example: nncompress report runs/quick"})
final class ReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "The run directory of 'compress --recipe'.")
    Path runDir;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        Report r = Report.rerender(runDir);
        Summary.of(r).print(json.text());
        json.text().printf("wrote %s (%d stages)%n", runDir.resolve(Report.HTML), r.stages().size());
        json.print(results(runDir));
        return Main.EXIT_OK;
    }

    /** --json of compress and report: where the report is, and report.json itself (already validated by the caller). */
    static Map<String, Object> results(Path runDir) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run_dir", runDir.toString());
        m.put("html", runDir.resolve(Report.HTML).toString());
        try {
            m.put("report", new JsonMapper().readTree(runDir.resolve(Report.JSON).toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(runDir.resolve(Report.JSON) + ": " + e.getMessage(), e);
        }
        return m;
    }
}
