package dev.nncompress.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Many short command lines in one forked JVM ({@link CliBatchMain}) instead of one JVM each: a JVM start costs
 * about 1.2 s of CPU here, most of a rejected file's run. The isolation that matters is kept: a native crash or
 * a hang still ends only the command line that caused it. When the child dies, the line it was running gets
 * the child's exit code and crash logs (moved into that line's folder), and a new child goes on from the next
 * line; a line that makes no progress for {@code timeout} is killed and reported as timed out the same way.
 * What a batch cannot show: state a command line leaves in the JVM (a once-per-process notice) is seen by
 * the lines after it, so a second copy of such a line would not repeat it.
 */
final class ForkedCliBatch {
    private ForkedCliBatch() {}

    /** Runs {@code commands} in order; result i belongs to command i, crash logs of command i go to {@code workDirs.get(i)}. */
    static List<ForkedCli.Result> run(List<List<String>> commands, List<Path> workDirs, Path batchDir, Duration timeout) {
        return run(commands, workDirs, batchDir, timeout, Main.class);
    }

    /** As above, each line run by {@code entry}'s {@code static int run(String[], PrintWriter, PrintWriter)} (tests of this class). */
    static List<ForkedCli.Result> run(List<List<String>> commands, List<Path> workDirs, Path batchDir, Duration timeout, Class<?> entry) {
        try {
            Files.createDirectories(batchDir);
            Path batchFile = batchDir.resolve("commands.txt");
            List<String> lines = new ArrayList<>();
            for (List<String> c : commands) lines.add(String.join(CliBatchMain.SEPARATOR, c));
            Files.write(batchFile, lines, StandardCharsets.UTF_8);
            List<ForkedCli.Result> results = new ArrayList<>();
            int attempt = 0;
            while (results.size() < commands.size()) {
                Path dir = Files.createDirectories(batchDir.resolve("child-" + attempt++));
                int first = results.size();
                Child child = Child.start(batchFile, dir, first, entry);
                int done = child.awaitDoneOrStall(commands.size() - first, timeout);
                List<String[]> rows = child.rows();
                for (String[] row : rows) {
                    int i = Integer.parseInt(row[0]);
                    results.add(new ForkedCli.Result(Integer.parseInt(row[1]), read(dir.resolve(i + ".out")), read(dir.resolve(i + ".err")),
                            Long.parseLong(row[2]), false));
                }
                if (done < 0 || results.size() < commands.size()) { // the child died or hung on the next line
                    int i = results.size();
                    boolean hung = done == -2;
                    if (hung) child.kill();
                    for (Path log : ForkedCli.crashLogs(dir)) Files.move(log, workDirs.get(i).resolve(log.getFileName()));
                    results.add(new ForkedCli.Result(hung ? -1 : child.exitCode(), read(dir.resolve(i + ".out")),
                            read(dir.resolve(i + ".err")), child.millisSinceLastRow(), hung));
                }
            }
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the forked CLI batch", e);
        }
    }

    private static String read(Path p) throws IOException { return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : ""; }

    /** One child JVM and the rows of done.tsv it has written. */
    private static final class Child {
        private final Process process;
        private final Path done;
        private long lastProgress = System.nanoTime();

        private Child(Process process, Path done) {
            this.process = process;
            this.done = done;
        }

        static Child start(Path batchFile, Path dir, int first, Class<?> entry) throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(ForkedCli.SHORT_RUN);
            cmd.add("-XX:-CreateCoredumpOnCrash");
            cmd.add("-Xshare:auto");
            cmd.add(CliBatchMain.class.getName());
            cmd.add(batchFile.toString());
            cmd.add(dir.toString());
            cmd.add(Integer.toString(first));
            cmd.add(entry.getName());
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(dir.resolve("child.out").toFile()).redirectError(dir.resolve("child.err").toFile());
            pb.environment().put("CLASSPATH", ForkedCli.classPath());
            return new Child(pb.start(), dir.resolve("done.tsv"));
        }

        /** {@code expected} when every line finished, -1 when the child exited early, -2 when a line made no progress for {@code timeout}. */
        int awaitDoneOrStall(int expected, Duration timeout) throws IOException, InterruptedException {
            int seen = 0;
            while (true) {
                boolean exited = process.waitFor(200, TimeUnit.MILLISECONDS);
                int rows = rows().size();
                if (rows > seen) {
                    seen = rows;
                    lastProgress = System.nanoTime();
                }
                if (seen == expected) {
                    process.waitFor();
                    return expected;
                }
                if (exited) return -1;
                if (System.nanoTime() - lastProgress > timeout.toNanos()) return -2;
            }
        }

        List<String[]> rows() throws IOException {
            if (!Files.exists(done)) return List.of();
            String text = Files.readString(done, StandardCharsets.UTF_8);
            List<String[]> rows = new ArrayList<>();
            for (String l : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) { // a row is complete with its newline
                if (!l.isEmpty()) rows.add(l.split("\t"));
            }
            return rows;
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }

        int exitCode() { return process.exitValue(); }

        long millisSinceLastRow() { return (System.nanoTime() - lastProgress) / 1_000_000; }
    }
}
