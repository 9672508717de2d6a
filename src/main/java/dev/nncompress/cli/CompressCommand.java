package dev.nncompress.cli;

import dev.nncompress.pipeline.Pipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code nncompress compress --recipe recipe.yaml}: runs a recipe's stages ({@link Pipeline}; docs/pipeline.md). */
@Command(name = "compress", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Run a recipe: the input model through its stages (train, prune, distill, quantize, export), each evaluated and written "
                + "with provenance into the run directory, then report.json and report.html. A rerun of the same recipe into the same "
                + "directory skips the stages already done.",
                "Example: nncompress compress --recipe recipes/fashion-mnist-quick.yaml -o runs/quick"})
final class CompressCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Option(names = "--recipe", required = true, paramLabel = "FILE", description = "The recipe (YAML; docs/pipeline.md).")
    Path recipe;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", description = "Run directory (default: the recipe's 'out').")
    Path out;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        Pipeline p = Pipeline.fromYaml(recipe); // every key checked before anything is loaded
        Pipeline.Result r;
        try (ConsoleProgress progress = ConsoleProgress.of(main.quiet, spec.commandLine().getErr())) { // bars or lines on stderr
            r = p.run(out, json.text(), spec.commandLine().getErr(), progress);
        }
        json.print(ReportCommand.results(r.runDir()));
        return Main.EXIT_OK;
    }
}
