package dev.nncompress.cli;

import dev.nncompress.cli.HostileCases.Case;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crafted-file regression suite (issue 16): hand-made hostile model, safetensors, ONNX and IDX files,
 * each given to a command of the command line in a forked JVM (512 MB heap), which must
 * answer with exit code 1 and exactly one line on stderr, {@code nncompress: error: <file>: <problem>}, no
 * output, and no {@code hs_err} crash log: never a crash, a stack trace or a hang.
 * The first case is the file that crashed the JVM in the sparse native convolution before the fix.
 *
 * <p>The command lines run in two batch JVMs ({@link ForkedCliBatch}: one JVM start per batch instead of per file, ~1.2 s
 * of CPU each; a crash or hang still ends only its own case, and the next child JVM goes on) before the tests assert
 * on them; the report (case, time, error line)
 * goes to stdout and {@code target/crafted-files.md} (docs/reliability.md quotes it).
 */
class CraftedFilesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60); // kills a hang; the time itself is reported, not asserted
    private static final String ERROR = "nncompress: error: ";

    @TempDir static Path tmp;
    private static Path data;
    private static final Map<Case, ForkedCli.Result> RESULTS = new LinkedHashMap<>();
    private static long wallMillis;
    private static double childCpuSeconds;

    @BeforeAll
    static void runEveryCase() throws Exception {
        data = TinyFashionMnist.write(tmp.resolve("data"), 32);
        HostileCases catalogue = new HostileCases(tmp, data, new HostileModels(tmp));
        List<Case> cases = new ArrayList<>(catalogue.controls());
        cases.addAll(catalogue.hostile());
        for (Case c : cases) Files.createDirectories(workDir(c));
        ExecutorService pool = Executors.newFixedThreadPool(2); // two batch JVMs at a time: this machine has two cores
        try {
            double cpu0 = childCpuSeconds();
            long t0 = System.nanoTime();
            List<Future<List<ForkedCli.Result>>> halves = new ArrayList<>();
            for (int h = 0; h < 2; h++) {
                List<Case> half = new ArrayList<>();
                for (int i = h; i < cases.size(); i += 2) half.add(cases.get(i));
                Path batchDir = tmp.resolve("batch-" + h);
                halves.add(pool.submit(() -> ForkedCliBatch.run(half.stream().map(Case::args).toList(),
                        half.stream().map(CraftedFilesTest::workDir).toList(), batchDir, TIMEOUT)));
            }
            List<List<ForkedCli.Result>> done = new ArrayList<>();
            for (var f : halves) done.add(f.get());
            for (int i = 0; i < cases.size(); i++) RESULTS.put(cases.get(i), done.get(i % 2).get(i / 2));
            wallMillis = (System.nanoTime() - t0) / 1_000_000;
            childCpuSeconds = childCpuSeconds() - cpu0;
        } finally {
            pool.shutdownNow();
        }
    }

    @AfterAll
    static void report() throws IOException {
        if (RESULTS.isEmpty()) return;
        StringBuilder md = new StringBuilder("| # | case | what is hostile | command | ms | error line |\n|---|---|---|---|---|---|\n");
        long max = 0, sum = 0;
        int i = 0, hostile = 0;
        for (var e : RESULTS.entrySet()) {
            Case c = e.getKey();
            ForkedCli.Result r = e.getValue();
            List<String> lines = r.stderrLines();
            String last = c.exitCode() == 0 ? "(exit " + r.exitCode() + ", accepted)" : lines.isEmpty() ? "(none)" : lines.get(lines.size() - 1);
            md.append(String.format(Locale.ROOT, "| %d | %s | %s | `%s` | %d | `%s` |%n", ++i, c.id(), c.hostile(), c.args().get(0), r.millis(),
                    last.replace(tmp.toString(), "TMP").replace("|", "\\|").replace('`', '\'')));
            if (c.exitCode() != 0) {
                hostile++;
                max = Math.max(max, r.millis());
                sum += r.millis();
            }
        }
        md.append(String.format(Locale.ROOT, "%n%d hostile files (+ %d valid controls); wall time per command line in its batch JVM: max %d ms, "
                + "mean %d ms; CPU time of all %d runs %.1f s (%.2f s per run, JVM starts included); two batch JVMs at a time: %.1f s wall; load average %s%n",
                hostile, RESULTS.size() - hostile, max, sum / Math.max(1, hostile), RESULTS.size(), childCpuSeconds,
                childCpuSeconds / RESULTS.size(), wallMillis / 1000.0, loadAverage()));
        System.out.println(md.substring(md.lastIndexOf("\n", md.length() - 2) + 1).strip());
        Path target = Path.of("target");
        if (Files.isDirectory(target)) Files.writeString(target.resolve("crafted-files.md"), md);
    }

    @TestFactory
    Stream<DynamicTest> everyHostileFileIsRejectedWithOneLineAndNoCrash() {
        return RESULTS.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey().id(), () -> check(e.getKey(), e.getValue())));
    }

    // ---- running and checking ----

    /**
     * User + system CPU seconds of this JVM's finished children (Linux /proc/self/stat: cutime, cstime,
     * in clock ticks of 1/100 s), so that the report can say what a run costs apart from a busy machine's
     * waiting; NaN elsewhere.
     */
    private static double childCpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[13]) + Long.parseLong(f[14])) / 100.0; // fields 16 and 17
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0] + " on " + Runtime.getRuntime().availableProcessors() + " cores";
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static Path workDir(Case c) { return tmp.resolve("run-" + c.id()); }

    private static void check(Case c, ForkedCli.Result r) {
        String ctx = c.id() + " (" + c.hostile() + "): exit " + r.exitCode() + " in " + r.millis() + " ms\nstdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr();
        assertFalse(r.timedOut(), () -> "hung, killed after " + TIMEOUT + ": " + ctx);
        assertEquals(List.of(), ForkedCli.crashLogs(workDir(c)), () -> "the JVM crashed: " + ctx);
        assertEquals(c.exitCode(), r.exitCode(), () -> ctx);
        List<String> lines = r.stderrLines();
        if (c.exitCode() == 0) {
            assertTrue(lines.stream().noneMatch(l -> l.startsWith(ERROR)), () -> ctx);
            return;
        }
        assertEquals("", r.stdout().strip(), () -> "nothing on stdout when the input is rejected: " + ctx);
        // exactly one line: every command reads and checks its files before it creates (and announces) a backend
        assertEquals(1, lines.size(), () -> "one stderr line: " + ctx);
        String error = lines.get(0);
        assertTrue(error.startsWith(ERROR), () -> ctx);
        int at = error.indexOf(c.file().toString());
        assertTrue(at >= 0, () -> "the error line names the file: " + ctx);
        String problem = error.substring(at + c.file().toString().length()); // the phrase must not match the file's own name
        assertTrue(problem.contains(c.phrase()), () -> "the error line says '" + c.phrase() + "' after the file name: " + ctx);
        assertFalse(error.contains("internal error"), () -> ctx);
    }
}
