package dev.nncompress.cli;

import dev.nncompress.pipeline.Report;
import dev.nncompress.pipeline.Summary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code nncompress report RUN_DIR}: draws report.html again from a recipe run's report.json. */
@Command(name = "report", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {"Re-render a recipe run's report.html from its report.json (after 'compress --recipe').",
                "Example: nncompress report runs/quick"})
final class ReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "The run directory of 'compress --recipe'.")
    Path runDir;

    @Override
    public Integer call() {
        Report r = Report.rerender(runDir);
        Summary.of(r).print(spec.commandLine().getOut());
        spec.commandLine().getOut().printf("wrote %s (%d stages)%n", runDir.resolve(Report.HTML), r.stages().size());
        return Main.EXIT_OK;
    }
}
