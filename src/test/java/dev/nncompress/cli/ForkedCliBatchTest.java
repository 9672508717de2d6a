package dev.nncompress.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A batch JVM keeps the isolation CraftedFilesTest relies on: a native crash and a hang each end only their own
 * line (its crash log in its own folder, or a timeout), the lines after them still run in a new child, and every
 * line's output and exit code reach the right result.
 */
class ForkedCliBatchTest {
    @TempDir Path tmp;

    /** The command lines of this test: "ok N" exits N printing one line, "crash" segfaults the JVM, "hang" sleeps. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) throws Exception {
        switch (args[0]) {
            case "ok" -> {
                out.println("out " + args[1]);
                err.println("err " + args[1]);
                return Integer.parseInt(args[1]);
            }
            case "crash" -> {
                Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
                f.setAccessible(true);
                sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
                u.putLong(0L, 42L); // SIGSEGV: the JVM writes its hs_err log and dies
                return 0;
            }
            case "hang" -> {
                Thread.sleep(Long.MAX_VALUE);
                return 0;
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    @Test void aCrashAndAHangEndOnlyTheirOwnLines() throws IOException {
        List<List<String>> commands = List.of(List.of("ok", "0"), List.of("crash"), List.of("ok", "3"), List.of("hang"), List.of("ok", "1"));
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < commands.size(); i++) dirs.add(Files.createDirectories(tmp.resolve("case-" + i)));
        List<ForkedCli.Result> r = ForkedCliBatch.run(commands, dirs, tmp.resolve("batch"), Duration.ofSeconds(3), ForkedCliBatchTest.class);

        assertEquals(5, r.size());
        assertEquals(List.of(0, 3, 1), List.of(r.get(0).exitCode(), r.get(2).exitCode(), r.get(4).exitCode()));
        assertEquals(List.of("out 3"), List.of(r.get(2).stdout().strip()));
        assertEquals(List.of("err 1"), r.get(4).stderrLines());

        assertNotEquals(0, r.get(1).exitCode(), "the crashed line has the dead JVM's exit code");
        assertFalse(r.get(1).timedOut());
        assertEquals(1, ForkedCli.crashLogs(dirs.get(1)).size(), "the crash log moved into the crashing line's folder");
        for (int i : new int[] {0, 2, 3, 4}) assertEquals(List.of(), ForkedCli.crashLogs(dirs.get(i)));

        assertTrue(r.get(3).timedOut(), "the hanging line was killed");
        assertEquals(-1, r.get(3).exitCode());
    }
}
