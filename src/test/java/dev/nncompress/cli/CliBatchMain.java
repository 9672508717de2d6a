package dev.nncompress.cli;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The child side of {@link ForkedCliBatch}: runs command lines one after another in this JVM through
 * {@link Main#run}, each with its own stdout/stderr files (System.out/err redirected too, for anything
 * printed past the writers), and appends {@code index TAB exit TAB millis} to {@code done.tsv} after each,
 * so that the parent can tell which command line was running when the JVM died or hung.
 * Arguments: the batch file (one command line per line, arguments separated by U+0001), the results folder,
 * the index of the first line to run, and optionally the class whose {@code static int run(String[], PrintWriter,
 * PrintWriter)} runs a line (default {@link Main}; ForkedCliBatchTest gives one that crashes and hangs on purpose).
 */
public final class CliBatchMain {
    static final String SEPARATOR = "\u0001";

    private CliBatchMain() {}

    public static void main(String[] a) throws ReflectiveOperationException, IOException {
        Method entry = Class.forName(a.length > 3 ? a[3] : Main.class.getName()).getMethod("run", String[].class, PrintWriter.class, PrintWriter.class);
        List<String> lines = Files.readAllLines(Path.of(a[0]), StandardCharsets.UTF_8);
        Path results = Path.of(a[1]);
        for (int i = Integer.parseInt(a[2]); i < lines.size(); i++) {
            String[] args = lines.get(i).split(SEPARATOR, -1);
            long t0 = System.nanoTime();
            int code;
            try (PrintStream out = new PrintStream(new FileOutputStream(results.resolve(i + ".out").toFile()), true, StandardCharsets.UTF_8);
                 PrintStream err = new PrintStream(new FileOutputStream(results.resolve(i + ".err").toFile()), true, StandardCharsets.UTF_8)) {
                System.setOut(out);
                System.setErr(err);
                try {
                    code = (int) entry.invoke(null, args, new PrintWriter(out, true, StandardCharsets.UTF_8), new PrintWriter(err, true, StandardCharsets.UTF_8));
                } catch (Throwable t) { // Main.run must not throw: let the parent see it as a failed case
                    (t instanceof InvocationTargetException ite ? ite.getCause() : t).printStackTrace(err);
                    code = 99;
                }
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            Files.writeString(results.resolve("done.tsv"), i + "\t" + code + "\t" + millis + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        System.exit(0);
    }
}
