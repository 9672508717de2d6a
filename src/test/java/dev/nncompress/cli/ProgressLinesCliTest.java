package dev.nncompress.cli;

import dev.nncompress.data.FashionMnist;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Off a terminal (as under the test runner) the commands' long steps write plain progress lines on stderr: well formed,
 * a few per task, and none on stdout; {@code --quiet} writes none.
 */
class ProgressLinesCliTest {
    @TempDir Path tmp;

    @BeforeEach
    void plainLinesAndData() {
        assumeTrue(ConsoleProgress.detect(false) == ConsoleProgress.Mode.LINES, "stderr is a terminal here: bars, not lines");
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
    }

    /** The progress lines of stderr (indented; the notes such as "nncompress: backend ..." are not), each checked for form; at most 11 per task. */
    private static List<String> progressLines(String err) {
        List<String> lines = err.lines().filter(l -> l.startsWith("  ")).toList();
        lines.forEach(l -> assertTrue(ConsoleProgressTest.LINE.matcher(l).matches(), () -> "not a progress line: '" + l + "' in\n" + err));
        Map<String, Long> perTask = lines.stream().collect(Collectors.groupingBy(l -> l.substring(0, l.indexOf('%') - 3).strip(), Collectors.counting()));
        perTask.forEach((task, n) -> assertTrue(n <= 11, () -> task + ": " + n + " lines in\n" + err));
        return lines;
    }

    private static boolean finished(List<String> lines, String task, String counted) {
        return lines.stream().anyMatch(l -> l.startsWith("  " + task + "  100% (") && l.contains(counted + ")") && l.endsWith(" s"));
    }

    @Test
    void calibrationSimulationAndSensitivityEachEndWithAFinishingLine() {
        MainTest.Run r = run("quantize", "student", "--calib", "32", "--eval", "32", "--sensitivity", "16", "--batch-size", "8",
                "--backend", "reference");
        assertEquals(0, r.code(), r.err());
        List<String> lines = progressLines(r.err());
        assertTrue(finished(lines, "calibrate minmax", "4/4 batches"), r.err());
        assertTrue(finished(lines, "accuracy float and int8", "8/8 batches"), r.err());
        assertTrue(finished(lines, "sensitivity 5 layers", "2/2 batches"), r.err());
        assertTrue(r.out().lines().noneMatch(l -> ConsoleProgressTest.LINE.matcher(l).matches()), "no progress on stdout:\n" + r.out());

        MainTest.Run quiet = run("quantize", "student", "--calib", "32", "--eval", "32", "--sensitivity", "16", "--batch-size", "8",
                "--backend", "reference", "--quiet");
        assertEquals(0, quiet.code(), quiet.err());
        assertEquals(List.of(), progressLines(quiet.err()));
    }

    @Test
    void aRecipeNamesTheStageInEveryInnerLineAndEndsWithTheOverallOne() throws Exception {
        Path recipe = tmp.resolve("r.yaml");
        Files.writeString(recipe, """
                model: student
                seed: 3
                backend: reference
                data: {train_limit: 64, test_limit: 32}
                bench: {rounds: 1, seconds: 0.01}
                stages:
                  - stage: prune
                    sparsity: 0.5
                    schedule: iterative
                    rounds: 2
                    batch_size: 32
                  - stage: quantize
                    calib: 32
                    sensitivity: 16
                """);
        MainTest.Run r = run("compress", "--recipe", recipe.toString(), "-o", tmp.resolve("run").toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = progressLines(r.err());
        assertTrue(finished(lines, "input > eval", "1/1 batches"), r.err());
        assertTrue(finished(lines, "input > bench inference batch 1", "1/1 rounds"), r.err());
        assertTrue(finished(lines, "stage 1/2 prune > round 1/2 sparsity 0.293 > epoch 1/1", "1/1 batches"), r.err()); // 1 - 0.5^(1/2)
        assertTrue(finished(lines, "stage 1/2 prune > round 2/2 sparsity 0.500 > epoch 1/1", "1/1 batches"), r.err());
        assertTrue(finished(lines, "stage 1/2 prune > prune", "2/2 rounds"), r.err());
        assertTrue(finished(lines, "stage 2/2 quantize > calibrate minmax", "1/1 batches"), r.err());
        assertTrue(finished(lines, "stage 2/2 quantize > sensitivity 5 layers", "1/1 batches"), r.err());
        assertTrue(finished(lines, "recipe", "2/2 stages"), r.err());
        assertEquals("recipe", taskOf(lines.get(lines.size() - 1)), "the overall line comes last");
        Function<String, Boolean> inner = l -> l.startsWith("  input > ") || l.startsWith("  stage ") || l.startsWith("  recipe ");
        lines.forEach(l -> assertTrue(inner.apply(l), () -> "a line outside the recipe's stages: " + l));
    }

    private static String taskOf(String line) { return line.substring(0, line.indexOf('%') - 3).strip(); }
}
