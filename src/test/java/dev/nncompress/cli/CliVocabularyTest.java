package dev.nncompress.cli;

import dev.nncompress.util.Seeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The rules of docs/cli.md checked over every registered command, so that a new command or option cannot break them
 * unnoticed: one default seed, -o/--out for output files, the model as the positional argument, no old spelling left.
 */
class CliVocabularyTest {
    @TempDir Path tmp;

    private static Map<String, CommandLine> commands() {
        return new CommandLine(new Main()).getSubcommands();
    }

    private static <T> T parsed(Class<T> type, String... args) {
        CommandLine.ParseResult r = new CommandLine(new Main()).parseArgs(args);
        return type.cast(r.subcommand().commandSpec().userObject());
    }

    @Test
    void everySeedOptionDefaultsToTheOneSeed() {
        int seen = 0;
        for (CommandLine c : commands().values()) {
            OptionSpec seed = c.getCommandSpec().findOption("--seed");
            if (seed == null) continue;
            seen++;
            assertEquals(Long.toString(Seeds.DEFAULT), seed.defaultValue(), c.getCommandName());
        }
        assertTrue(seen >= 7, "train, eval, info, export, quantize, prune, distill take --seed; saw " + seen);
    }

    @Test
    void everyOutputFileIsDashOOrDashDashOut() {
        for (CommandLine c : commands().values()) {
            OptionSpec out = c.getCommandSpec().findOption("--out");
            if (out != null) assertEquals(List.of("-o", "--out"), List.of(out.names()), c.getCommandName());
        }
    }

    @Test
    void noCommandKeepsARenamedSpelling() {
        for (DeprecatedSpellings.Rename r : DeprecatedSpellings.RENAMES) {
            CommandSpec spec = commands().get(r.command()).getCommandSpec();
            assertNull(spec.findOption(r.old()), r.command() + " still declares " + r.old());
            if (r.replacement() != null) assertNotNull(spec.findOption(r.replacement()), r.command() + " lacks " + r.replacement());
            else assertEquals("MODEL", spec.positionalParameters().get(0).paramLabel(), r.command());
        }
        // spellings retired everywhere, so a command added later cannot bring them back (share did, before this check)
        for (var c : commands().entrySet()) {
            for (String retired : List.of("--limit", "--eval")) assertNull(c.getValue().getCommandSpec().findOption(retired), c.getKey() + " declares " + retired);
        }
    }

    @Test
    void theModelIsPositionalAndTrainKeepsModelAsAnAlias() {
        for (String name : List.of("train", "eval", "info", "export", "bench", "quantize", "prune", "distill")) {
            CommandSpec spec = commands().get(name).getCommandSpec();
            assertEquals("MODEL", spec.positionalParameters().get(0).paramLabel(), name);
        }
        assertEquals("student", parsed(TrainCommand.class, "train", "student").model);
        assertEquals("student", parsed(TrainCommand.class, "train", "--model", "student").modelOption);
        MainTest.Run both = MainTest.run("train", "student", "--model", "teacher");
        assertEquals(Main.EXIT_USAGE, both.code(), both.err());
        assertTrue(both.singleError().contains("not both"), both.err());
        MainTest.Run none = MainTest.run("train", "--epochs", "1");
        assertEquals(Main.EXIT_USAGE, none.code(), none.err());
        assertTrue(none.singleError().contains("MODEL"), none.err());

        assertEquals(List.of("student", "teacher"), parsed(BenchCommand.class, "bench").models);
        assertEquals(List.of("a", "b", "c"), parsed(BenchCommand.class, "bench", "a", "b,c").models);
        assertEquals("lenet5", parsed(DistillCommand.class, "distill", "lenet5", "--teacher", "t.safetensors").student);
    }

    @Test
    void everyCommandThatPrintsResultsTakesJson() {
        for (String name : List.of("train", "eval", "info", "import", "export", "quantize", "prune", "distill", "compress", "report", "bench", "bench-gemm")) {
            assertNotNull(commands().get(name).getCommandSpec().findOption("--json"), name);
        }
    }

    @Test
    void everyOptionWithChoicesListsThemInHelp() {
        int seen = 0;
        for (CommandLine c : commands().values()) {
            String usage = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
            for (OptionSpec o : c.getCommandSpec().options()) {
                if (o.completionCandidates() == null) continue;
                seen++;
                for (String choice : o.completionCandidates()) {
                    assertTrue(usage.contains(choice), c.getCommandName() + " " + o.longestName() + " does not list " + choice + " in --help");
                }
            }
        }
        // --backend, --int8-kernels, --optimizer, --method, --scope, --prune-schedule, --channel-score, --observer, --preset,
        // --format, --target, --sparse, --baseline at least
        assertTrue(seen >= 13, "options with choices: " + seen);

        // any case; a wrong value is named with the values as typed (not the enum's constant names)
        MainTest.Run anyCase = MainTest.run("export", "student", "-o", tmp.resolve("s.onnx").toString(), "--target", "TensorRT", "--format", "ONNX");
        assertEquals(0, anyCase.code(), anyCase.err());
        MainTest.Run bad = MainTest.run("export", "m", "-o", "m.onnx", "--format", "tflite");
        assertEquals(Main.EXIT_USAGE, bad.code());
        assertTrue(bad.singleError().startsWith("nncompress: error: --format tflite is not one of: onnx, safetensors-plain ("), bad.err());
    }

    @Test
    void theCompletionScriptCompletesCommandsNewSpellingsAndChoices() throws IOException, InterruptedException {
        MainTest.Run r = MainTest.run("completion");
        assertEquals(0, r.code(), r.err());
        Path script = tmp.resolve("nncompress.bash");
        Files.writeString(script, r.out());
        assertEquals(List.of("onnx", "safetensors-plain"), complete(script, "nncompress", "export", "m.safetensors", "--format", ""));
        assertEquals(List.of("--prune-schedule"), complete(script, "nncompress", "prune", "m.safetensors", "--prune-sch"));
        assertEquals(List.of(), complete(script, "nncompress", "prune", "m.safetensors", "--sched"));
        assertTrue(complete(script, "nncompress", "comp").containsAll(List.of("completion", "compress")));
    }

    /** What bash completes for the last word of {@code words}, through the generated script's completion function. */
    private static List<String> complete(Path script, String... words) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "no /bin/bash here");
        StringBuilder array = new StringBuilder();
        for (String w : words) array.append(" '").append(w).append('\'');
        String line = String.join(" ", words);
        String cmd = "source '" + script + "'; COMP_WORDS=(" + array + "); COMP_CWORD=" + (words.length - 1) + "; COMP_LINE='" + line
                + "'; COMP_POINT=${#COMP_LINE}; _complete_nncompress nncompress '" + words[words.length - 1] + "' '" + words[words.length - 2]
                + "' 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process p = new ProcessBuilder("/bin/bash", "-c", cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        return out.lines().map(String::strip).filter(l -> !l.isEmpty()).sorted().toList();
    }
}
