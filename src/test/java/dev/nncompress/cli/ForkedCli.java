package dev.nncompress.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the command line ({@link Main}) in a fresh JVM on the test class path, for tests that must
 * survive what an in-process run cannot: a native crash, {@code System.exit}, a {@code kill -9}. The
 * child gets a small heap ({@value #HEAP}), runs in {@code workDir} (where a crashing JVM would leave its
 * {@code hs_err_pid*.log}), and is killed when it outlives the timeout.
 */
public final class ForkedCli {
    /** Small enough that a file claiming gigabytes is an out-of-memory risk, as on a user's laptop. */
    public static final String HEAP = "-Xmx512m";

    private ForkedCli() {}

    /**
     * What the child did. {@code exitCode} is -1 when it was killed for running past the timeout;
     * {@code millis} is its wall time from start to exit, JVM start-up included.
     */
    public record Result(int exitCode, String stdout, String stderr, long millis, boolean timedOut) {
        /** stderr split into lines, without blank ones. */
        public List<String> stderrLines() {
            return stderr.isBlank() ? List.of() : Arrays.stream(stderr.strip().split("\\R")).filter(l -> !l.isBlank()).toList();
        }
    }

    /** JVM options of a short run (a file rejected or a tiny command): the small heap, and C1 alone, which starts faster. */
    public static final List<String> SHORT_RUN = List.of(HEAP, "-XX:TieredStopAtLevel=1");

    /** {@code java -Xmx512m -cp <test class path> dev.nncompress.cli.Main args...} in {@code workDir}, killed after {@code timeout}. */
    public static Result run(List<String> args, Path workDir, Duration timeout) {
        try {
            Path out = Files.createTempFile("forked-cli", ".out");
            Path err = Files.createTempFile("forked-cli", ".err");
            try {
                long t0 = System.nanoTime();
                Process p = start(SHORT_RUN, args, workDir, out, err);
                boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (!done) {
                    p.destroyForcibly();
                    p.waitFor();
                }
                long millis = (System.nanoTime() - t0) / 1_000_000;
                return new Result(done ? p.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8), millis, !done);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the forked CLI", e);
        }
    }

    /**
     * Starts {@code java <jvmOptions> dev.nncompress.cli.Main args...} on the test class path in {@code workDir}, its
     * output going to {@code stdout} and {@code stderr}; the caller waits for it or kills it ({@code kill -9} tests).
     */
    public static Process start(List<String> jvmOptions, List<String> args, Path workDir, Path stdout, Path stderr) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-XX:-CreateCoredumpOnCrash"); // the hs_err file is the evidence; a core file would be GBs
        cmd.add("-Xshare:auto");
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        // through the environment, not -cp: the class path can exceed a command line's length
        pb.environment().put("CLASSPATH", classPath());
        return pb.start();
    }

    /** The class path of this test JVM (Surefire publishes the real one beside its booter jar). */
    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** The {@code hs_err_pid*.log} files a crashed JVM left in {@code dir}. */
    public static List<Path> crashLogs(Path dir) {
        try (var s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
