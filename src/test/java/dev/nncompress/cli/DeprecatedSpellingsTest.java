package dev.nncompress.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The old option spellings (docs/cli.md) still work for one release, each with one warning line naming the new one. */
class DeprecatedSpellingsTest {
    @TempDir Path tmp;

    private record Rewritten(List<String> args, List<String> warnings) {}

    private static Rewritten rewrite(String... args) {
        StringWriter err = new StringWriter();
        String[] r = DeprecatedSpellings.rewrite(args, new PrintWriter(err, true));
        return new Rewritten(List.of(r), err.toString().isBlank() ? List.of() : List.of(err.toString().strip().split("\\R")));
    }

    @Test
    void everyOldSpellingBecomesItsCommandsNewOneWithOneWarning() {
        for (DeprecatedSpellings.Rename r : DeprecatedSpellings.RENAMES) {
            Rewritten spaced = rewrite("--debug", r.command(), "MODEL", r.old(), "7", "--backend", "reference");
            Rewritten joined = rewrite(r.command(), "MODEL", r.old() + "=7");
            if (r.replacement() == null) {
                assertEquals(List.of("--debug", r.command(), "MODEL", "7", "--backend", "reference"), spaced.args(), r.toString());
                assertEquals(List.of(r.command(), "MODEL", "7"), joined.args(), r.toString());
            } else {
                assertEquals(List.of("--debug", r.command(), "MODEL", r.replacement(), "7", "--backend", "reference"), spaced.args(), r.toString());
                assertEquals(List.of(r.command(), "MODEL", r.replacement() + "=7"), joined.args(), r.toString());
            }
            for (Rewritten w : List.of(spaced, joined)) {
                assertEquals(1, w.warnings().size(), w.toString());
                String line = w.warnings().get(0);
                assertTrue(line.startsWith("nncompress: warning: " + r.old() + " is deprecated, "), line);
                assertTrue(line.contains(r.replacement() == null ? "positional" : "use " + r.replacement()), line);
            }
        }
    }

    @Test
    void theSameNameInAnotherCommandAndArgumentsAfterDoubleDashAreLeftAlone() {
        // bench's --rounds are timed rounds and prune's --sensitivity is the scan flag: both current spellings
        for (String[] args : List.of(new String[] {"bench", "--rounds", "3"}, new String[] {"prune", "m", "--sensitivity"},
                new String[] {"prune", "m", "--limitless"}, new String[] {"eval", "--", "--limit"}, new String[] {"--limit", "eval"})) {
            Rewritten r = rewrite(args);
            assertEquals(List.of(args), r.args());
            assertEquals(List.of(), r.warnings());
        }
    }

    @Test
    void oldAndNewSpellingsRunTheSameCommand() {
        Path data = TinyFashionMnist.write(tmp.resolve("data"), 24);
        MainTest.Run current = MainTest.run("eval", "student", "--data", data.toString(), "--test-limit", "8", "--backend", "reference", "-q");
        MainTest.Run old = MainTest.run("eval", "student", "--data", data.toString(), "--limit", "8", "--backend", "reference", "-q");
        assertEquals(0, current.code(), current.err());
        assertEquals(0, old.code(), old.err());
        String accuracy = current.out().lines().filter(l -> l.startsWith("accuracy")).findFirst().orElseThrow();
        assertTrue(accuracy.endsWith("/8)"), accuracy);
        assertTrue(old.out().contains(accuracy), old.out());
        assertEquals(List.of("nncompress: warning: --limit is deprecated, use --test-limit"),
                old.errLines().stream().filter(l -> l.startsWith("nncompress: warning")).toList());
        assertTrue(current.errLines().stream().noneMatch(l -> l.contains("warning")), current.err());

        // train's --limit was the training images: 16 train / 24 test
        MainTest.Run train = MainTest.run("train", "--model", "student", "--data", data.toString(), "--limit", "16", "--epochs", "1",
                "--batch-size", "8", "--backend", "reference", "-q");
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("on 16 train / 24 test images"), train.out());
        assertTrue(train.err().contains("nncompress: warning: --limit is deprecated, use --train-limit"), train.err());
    }
}
