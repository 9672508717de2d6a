package dev.nncompress.spark;

import dev.nncompress.backend.cpu.TaskThreads;
import dev.nncompress.pipeline.Pipeline;
import dev.nncompress.pipeline.Recipe;
import dev.nncompress.pipeline.RecipeOverrides;
import dev.nncompress.pipeline.StageRecord;
import dev.nncompress.pipeline.Summary;
import dev.nncompress.util.ProgressListener;
import dev.nncompress.util.Quoted;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One grid point run in this process: the recipe with the point's overrides, through {@link Pipeline} (exactly
 * {@code nncompress compress --recipe}'s code path) into {@code RUN_DIR/points/ID}, its output in {@code log.txt}
 * there. Called by a Spark task, and by the determinism test directly (the same point run sequentially). Whatever the
 * point's recipe throws becomes a failed row with its error: a sweep reports every point, never drops one.
 *
 * <p>What is not the recipe's doing is thrown instead, for Spark to retry the task ({@link SweepTask}): the point's
 * directory cannot be made or written (a shared file system's hiccup), or the JVM runs out of memory.
 */
public final class PointRun {
    static final String POINTS = "points";
    static final String LOG = "log.txt";

    private PointRun() {}

    /**
     * Runs {@code point} of the recipe {@code recipeText} (named {@code recipeName}) with {@code threads} threads: every
     * CPU pool of this thread capped at the task's share of the cores ({@link TaskThreads}; the row says what ran).
     *
     * @throws UncheckedIOException the point's directory cannot be made or its log written (not the recipe's failure)
     */
    public static PointResult run(String recipeName, String recipeText, SweepGrid.Point point, Path runDir, int threads) {
        long t0 = System.nanoTime();
        String overrides = RecipeOverrides.describe(point.overrides());
        Path dir = runDir.resolve(POINTS).resolve(point.id());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot create: " + e.getMessage(), e);
        }
        try (PrintWriter log = new PrintWriter(Files.newBufferedWriter(dir.resolve(LOG), StandardCharsets.UTF_8), true)) {
            String ranWith = null;
            try {
                Recipe recipe = RecipeOverrides.apply(Recipe.parse(recipeName, recipeText), point.overrides());
                if (!"reference".equals(recipe.backend())) {
                    ranWith = TaskThreads.limit(threads).describe();
                    log.println("threads   " + ranWith + " (--threads-per-task " + threads + ")");
                }
                Pipeline.Result r = Pipeline.fromYaml(recipe.fileName(), recipe.text()).run(dir, log, log, ProgressListener.NONE);
                StageRecord.Metrics m = r.last().metrics();
                double baseline = Summary.of(r.report()).baseline().metrics().accuracy();
                return new PointResult(point.id(), overrides, point.seed(), PointResult.OK, null, m.accuracy(), baseline, m.fileBytes(), m.latencyMs(),
                        m.throughput(), seconds(t0)).withTask(1, null, ranWith, null);
            } catch (VirtualMachineError e) { // out of memory here may fit on a retry (another executor, fewer tasks beside it)
                log.println("nncompress: error: " + message(e));
                throw e;
            } catch (Throwable t) { // every failure of the recipe, errors included: it is reported, and the next point runs
                log.println("nncompress: error: " + message(t));
                t.printStackTrace(log);
                return failed(point, overrides, message(t), t0).withTask(1, null, ranWith, null);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir.resolve(LOG) + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** One line: the message for the project's own errors, with the exception's class for anything else. */
    static String message(Throwable t) {
        String m = t.getMessage() == null ? "" : t.getMessage().strip().replaceAll("\\s*\\R\\s*", "; ");
        boolean ours = t.getClass().getName().startsWith("dev.nncompress.") || t instanceof IllegalArgumentException || t instanceof UncheckedIOException;
        return Quoted.safeLine(ours && !m.isEmpty() ? m : t.getClass().getName() + (m.isEmpty() ? "" : ": " + m));
    }

    static PointResult failed(SweepGrid.Point point, String overrides, String error, long t0) {
        return new PointResult(point.id(), overrides, point.seed(), PointResult.FAILED, error, Double.NaN, Double.NaN, -1, Double.NaN, Double.NaN, seconds(t0));
    }

    static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }
}
