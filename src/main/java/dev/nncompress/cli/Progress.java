package dev.nncompress.cli;

import dev.nncompress.train.EpochStats;
import dev.nncompress.train.TrainListener;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.Console;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.Locale;

/**
 * Progress of training and evaluation on stderr, driven by {@link TrainListener}: a live progress bar
 * with the running loss and images per second when the console is a terminal; plain lines (every 10%
 * of an epoch, at most one per second, and at least every 30 s) when it is not, as in CI logs; nothing
 * with {@code --quiet}. Results themselves are printed by the commands on stdout.
 */
final class Progress implements TrainListener, AutoCloseable {
    enum Mode { BAR, LINES, NONE }

    private static final long MIN_LINE_GAP_NS = 1_000_000_000L;
    private static final long MAX_LINE_GAP_NS = 30_000_000_000L;

    private final Mode mode;
    private final PrintWriter err;
    private final String label; // "epoch" for training, "eval" for evaluation
    private ProgressBar bar;
    private String task = "";
    private int steps;
    private int lastDecile;
    private long lastLineNs;

    Progress(Mode mode, PrintWriter err, String label) {
        this.mode = mode;
        this.err = err;
        this.label = label;
    }

    /** BAR on a terminal, LINES otherwise, NONE when quiet. */
    static Mode detect(boolean quiet) {
        if (quiet) return Mode.NONE;
        return isTerminal() ? Mode.BAR : Mode.LINES;
    }

    private static boolean isTerminal() {
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
    public void epochStarted(int epoch, int epochs, int steps) {
        closeBar();
        this.steps = steps;
        this.task = label.equals("eval") ? "eval" : label + " " + (epoch + 1) + "/" + epochs;
        this.lastDecile = 0;
        this.lastLineNs = System.nanoTime();
        if (mode == Mode.BAR) {
            bar = new ProgressBarBuilder()
                    .setTaskName(task)
                    .setInitialMax(steps)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true), 100))
                    .hideEta()
                    .build();
        }
    }

    @Override
    public void stepDone(int step, float meanLoss, double imagesPerSecond) {
        String extra = String.format(Locale.ROOT, "loss %.4f  %.0f img/s", meanLoss, imagesPerSecond);
        switch (mode) {
            case BAR -> {
                if (bar != null) {
                    bar.stepTo(step);
                    bar.setExtraMessage(" " + extra);
                    if (step >= steps) closeBar();
                }
            }
            case LINES -> {
                long now = System.nanoTime();
                int decile = steps == 0 ? 10 : (int) (10L * step / steps);
                boolean milestone = decile > lastDecile && now - lastLineNs >= MIN_LINE_GAP_NS;
                if (step >= steps || milestone || now - lastLineNs >= MAX_LINE_GAP_NS) {
                    err.printf(Locale.ROOT, "  %s  %3d%% (%d/%d batches)  %s%n", task, steps == 0 ? 100 : 100L * step / steps,
                            step, steps, extra);
                    err.flush();
                    lastDecile = decile;
                    lastLineNs = now;
                }
            }
            case NONE -> { }
        }
    }

    @Override
    public void epochDone(EpochStats stats) { closeBar(); }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    @Override
    public void close() { closeBar(); }
}
