package dev.nncompress.pipeline;

/**
 * One point of a sweep as the sweep view sees it (docs/spark.md): what it ran with, whether it ran, and how its final
 * model (the recipe's last stage) measures. A failed point has status {@code failed}, its one-line error and no
 * metrics (nulls); an ok point has them all. Built by the Spark module from its result rows, and read back from
 * {@code sweep.json} by {@link SweepReport#read}, which checks exactly that.
 *
 * @param overrides         the point's overrides as written, {@code prune.sparsity=0.7, quantize.observer=kl}
 * @param accuracy          the final model's test accuracy in [0, 1]
 * @param baselineAccuracy  the accuracy of the point's own baseline ({@link Summary#baseline}: the input model, or for an
 *                          untrained built-in the first trained one), what the accuracy budget is measured from
 * @param latencyMs         batch-1 latency of the final model, ms per image
 * @param throughput        images per second at the bench batch
 * @param seconds           the point's wall time in its task
 */
public record SweepPoint(String point, String overrides, long seed, String status, String error, Double accuracy, Double baselineAccuracy,
                         Long sizeBytes, Double latencyMs, Double throughput, double seconds) {
    public static final String OK = "ok";
    public static final String FAILED = "failed";

    public boolean ok() { return OK.equals(status); }

    /** Accuracy points lost against the point's baseline (negative: more accurate than it). */
    public double dropPoints() { return 100 * (baselineAccuracy - accuracy); }
}
