package dev.nncompress.cli;

import dev.nncompress.util.ProgressListener;
import dev.nncompress.util.Quoted;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.Console;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The command line's {@link ProgressListener}, on stderr so that {@code --json} on stdout stays clean:
 * <ul>
 * <li>BAR (stderr is a terminal): one live progress bar, the innermost task's, drawn from its first step on; its name
 * carries the enclosing tasks' labels ({@code stage 2/5 prune > calibrate}), which are the overall progress. A task
 * with tasks inside it (a recipe, pruning rounds) is not drawn itself: between its inner loops the commands print their
 * result lines on stdout, the same terminal, and a live bar there would be torn by them (two live bars would need
 * cursor movement, which those lines throw off the same way). A finished bar is erased: its result is on stdout.</li>
 * <li>LINES (a log file, a pipe, CI): plain lines, rate-limited per task: one when a new tenth is done and at least
 * {@link #MIN_LINE_GAP_NS} after the task's last line, one after {@link #MAX_LINE_GAP_NS} without any, and the
 * finishing line with the time taken; so a task writes at most ten lines plus one per half minute. A task that does
 * not finish (an error) writes no finishing line: the error says what happened.</li>
 * <li>NONE ({@code --quiet}).</li>
 * </ul>
 */
final class ConsoleProgress implements ProgressListener, AutoCloseable {
    enum Mode { BAR, LINES, NONE }

    static final long MIN_LINE_GAP_NS = 2_000_000_000L;
    static final long MAX_LINE_GAP_NS = 30_000_000_000L;

    private final Mode mode;
    private final PrintWriter err;
    private final LongSupplier clock;
    private final Deque<Open> open = new ArrayDeque<>(); // innermost first

    ConsoleProgress(Mode mode, PrintWriter err) { this(mode, err, System::nanoTime); }

    /** @param clock nanoseconds, as {@link System#nanoTime} (tests pass their own) */
    ConsoleProgress(Mode mode, PrintWriter err, LongSupplier clock) {
        this.mode = mode;
        this.err = err;
        this.clock = clock;
    }

    /** A command's progress: detected from the terminal, nothing with {@code --quiet}. */
    static ConsoleProgress of(boolean quiet, PrintWriter err) { return new ConsoleProgress(detect(quiet), err); }

    /** BAR when stderr is a terminal, LINES otherwise, NONE when quiet. */
    static Mode detect(boolean quiet) {
        if (quiet) return Mode.NONE;
        return stderrIsTerminal() ? Mode.BAR : Mode.LINES;
    }

    private static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) return false;
        try { // Linux: what fd 2 is, so that `2> log` gives lines and `> out.json` keeps the bar
            Path fd2 = Path.of("/proc/self/fd/2");
            if (Files.isSymbolicLink(fd2)) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (Exception e) {
            // not Linux or not readable: ask the console below
        }
        Console c = System.console();
        if (c == null) return false; // Java <= 21: null unless stdin and stdout are terminals
        try { // Java 22+ returns a console even when redirected; ask it
            Method m = Console.class.getMethod("isTerminal");
            return (Boolean) m.invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    @Override
    public Task start(String name, long total, String unit) {
        if (mode == Mode.NONE) return Task.NONE;
        Open parent = open.peekFirst();
        if (parent != null) parent.becomeParent();
        // names and details may hold text from a file (a layer name, a file name): nothing in them may steer the terminal
        Open t = new Open(Quoted.safeLine(name), Math.max(0, total), Quoted.safeLine(unit), prefix());
        open.addFirst(t);
        return t;
    }

    /** The enclosing tasks' labels, outermost first: {@code "stage 2/5 prune > "}. */
    private String prefix() {
        StringBuilder b = new StringBuilder();
        for (Iterator<Open> it = open.descendingIterator(); it.hasNext(); ) b.append(it.next().label()).append(" > ");
        return b.toString();
    }

    /** Closes what a failure left open (bars off the screen's last line). */
    @Override
    public void close() {
        while (!open.isEmpty()) open.peekFirst().close();
    }

    private final class Open implements Task {
        final String name;
        final long total;
        final String unit;
        final String prefix;
        final long startNs;
        long done;
        String detail;
        long lastLineNs;
        long lastTenth;
        boolean closed;
        boolean parent; // a task has started inside this one
        ProgressBar bar;

        Open(String name, long total, String unit, String prefix) {
            this.name = name;
            this.total = total;
            this.unit = unit;
            this.prefix = prefix;
            this.startNs = clock.getAsLong();
            this.lastLineNs = startNs;
        }

        /** What a task inside this one shows of it: the detail when there is one (a recipe's current stage), else the name. */
        String label() { return detail != null && !detail.isBlank() ? detail : name; }

        @Override
        public void update(long done, String detail) {
            if (closed) return;
            this.done = Math.max(0, Math.min(done, total));
            if (detail != null) this.detail = Quoted.safeLine(detail);
            if (mode == Mode.BAR) {
                if (bar == null && !parent && this.done >= 1 && this.done < total) showBar();
                if (bar != null) {
                    bar.stepTo(this.done);
                    if (this.detail != null) bar.setExtraMessage(" " + this.detail);
                }
                return;
            }
            if (this.done >= total) return; // the finishing line says it, with the time
            long now = clock.getAsLong();
            long tenth = 10 * this.done / Math.max(1, total);
            boolean milestone = tenth > lastTenth && now - lastLineNs >= MIN_LINE_GAP_NS;
            if (milestone || now - lastLineNs >= MAX_LINE_GAP_NS) {
                line(null);
                lastTenth = tenth;
                lastLineNs = now;
            }
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            open.remove(this);
            if (bar != null) {
                bar.close();
                bar = null;
            }
            if (mode == Mode.LINES && done >= total) {
                line(String.format(Locale.ROOT, "%.1f s", (clock.getAsLong() - startNs) / 1e9));
            }
        }

        /** {@code  stage 2/5 prune > calibrate   40% (4/10 batches)  detail}, and the time on the finishing line. */
        private void line(String time) {
            String pct = String.format(Locale.ROOT, "%3d%%", total == 0 ? 100 : 100 * done / total);
            StringBuilder b = new StringBuilder("  ").append(prefix).append(name).append("  ").append(pct)
                    .append(" (").append(done).append('/').append(total).append(' ').append(unit).append(')');
            if (detail != null && !detail.isBlank()) b.append("  ").append(detail);
            if (time != null) b.append("  ").append(time);
            err.println(b);
            err.flush();
        }

        void showBar() {
            if (bar != null || closed) return;
            ProgressBarBuilder pb = new ProgressBarBuilder()
                    .setTaskName(prefix + name)
                    .setInitialMax(total)
                    .setUnit(" " + unit, 1)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250)
                    .setConsumer(new ErasingConsumer(new PrintStream(System.err, true)))
                    .startsFrom(done, Duration.ofNanos(clock.getAsLong() - startNs))
                    .clearDisplayOnFinish(); // results are the commands' stdout lines; a finished bar would only repeat them
            bar = pb.build();
            if (detail != null) bar.setExtraMessage(" " + detail);
        }

        /** A task started inside this one: from now on its name carries this one's label, and this one is not drawn. */
        void becomeParent() {
            parent = true;
            if (bar == null) return;
            bar.close();
            bar = null;
        }
    }

    /** The library's console consumer without its newline at the end, so that an erased bar leaves no blank line. */
    private static final class ErasingConsumer extends ConsoleProgressBarConsumer {
        private final PrintStream stream;

        ErasingConsumer(PrintStream stream) {
            super(stream, 120);
            this.stream = stream;
        }

        @Override
        public void close() { stream.flush(); }
    }
}
