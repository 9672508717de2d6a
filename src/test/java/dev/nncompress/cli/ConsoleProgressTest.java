package dev.nncompress.cli;

import dev.nncompress.util.ProgressListener;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ConsoleProgress}'s plain lines (the mode of logs and pipes) on a clock the test moves. */
class ConsoleProgressTest {
    /** {@code  [parents > ]name  pct% (done/total unit)[  detail][  seconds s]}. */
    static final Pattern LINE = Pattern.compile("  (?:[^>]+ > )*[^>]+? +\\d{1,3}% \\(\\d+/\\d+ [a-z]+\\)(?:  .+)?");

    private long now;
    private final StringWriter text = new StringWriter();
    private final ConsoleProgress lines = new ConsoleProgress(ConsoleProgress.Mode.LINES, new PrintWriter(text, true), () -> now);

    private List<String> written() { return text.toString().lines().toList(); }

    @Test
    void aLongTaskWritesAtMostOneLinePerTenthAndAFinishingLine() {
        try (ProgressListener.Task t = lines.start("calibrate minmax", 1000, "batches")) {
            for (int i = 1; i <= 1000; i++) {
                now += 100_000_000L; // 0.1 s a batch: 100 s in all, a tenth every 10 s
                t.update(i);
            }
        }
        List<String> out = written();
        assertEquals(10, out.size(), text.toString()); // 10%..90%, then the finishing line
        out.forEach(l -> assertTrue(LINE.matcher(l).matches(), l));
        assertEquals("  calibrate minmax   10% (100/1000 batches)", out.get(0));
        assertEquals("  calibrate minmax  100% (1000/1000 batches)  100.0 s", out.get(9));
    }

    @Test
    void aFastTaskWritesOnlyItsFinishingLineAndASlowTenthAHeartbeat() {
        try (ProgressListener.Task t = lines.start("sensitivity", 50, "batches")) {
            for (int i = 1; i <= 50; i++) t.update(i, "conv1"); // no time passes: no tenth is worth a line
        }
        assertEquals(List.of("  sensitivity  100% (50/50 batches)  conv1  0.0 s"), written());

        text.getBuffer().setLength(0);
        try (ProgressListener.Task t = lines.start("bench inference batch 1", 1000, "rounds")) {
            now += ConsoleProgress.MAX_LINE_GAP_NS; // 30 s on the first step, still within the first tenth
            t.update(1);
            t.update(2); // right after: nothing new
        }
        List<String> out = written();
        assertEquals(1, out.size(), text.toString()); // the heartbeat; unfinished, so no finishing line
        assertTrue(out.get(0).startsWith("  bench inference batch 1    0% (1/1000 rounds)"), out.get(0));
    }

    @Test
    void innerTasksNameTheStageTheyRunIn() {
        try (ProgressListener.Task recipe = lines.start("recipe", 3, "stages")) {
            recipe.update(1, "stage 2/3 quantize");
            try (ProgressListener.Task calib = lines.start("calibrate kl", 4, "batches")) {
                for (int i = 1; i <= 4; i++) calib.update(i);
            }
            recipe.update(3, "report");
        }
        assertEquals(List.of("  stage 2/3 quantize > calibrate kl  100% (4/4 batches)  0.0 s", "  recipe  100% (3/3 stages)  report  0.0 s"), written());
        written().forEach(l -> assertTrue(LINE.matcher(l).matches(), l));
    }

    @Test
    void aFailedTaskWritesNoFinishingLineAndQuietWritesNothing() {
        try (ProgressListener.Task t = lines.start("prune", 3, "rounds")) {
            t.update(1);
        }
        assertEquals(List.of(), written(), "the error says what happened");

        StringWriter quietText = new StringWriter();
        ConsoleProgress quiet = new ConsoleProgress(ConsoleProgress.Mode.NONE, new PrintWriter(quietText, true), () -> now);
        try (ProgressListener.Task t = quiet.start("calibrate", 2, "batches")) {
            t.update(2);
        }
        assertEquals("", quietText.toString());
    }

    @Test
    void aNameFromAFileCannotSteerTheTerminal() {
        try (ProgressListener.Task t = lines.start("sensitivity", 1, "evaluations")) {
            t.update(1, "conv\u001b[2J\nfake line");
        }
        assertEquals(List.of("  sensitivity  100% (1/1 evaluations)  conv\\u001b[2J\\nfake line  0.0 s"), written());
    }

    @Test
    void closingTheConsoleClosesWhatAFailureLeftOpen() {
        ProgressListener.Task outer = lines.start("bench", 2, "models");
        ProgressListener.Task inner = lines.start("bench train batch 64", 5, "rounds");
        inner.update(5);
        lines.close();
        assertEquals(List.of("  bench > bench train batch 64  100% (5/5 rounds)  0.0 s"), written());
        outer.update(2); // closed: ignored
        outer.close();
        assertEquals(1, written().size());
    }
}
