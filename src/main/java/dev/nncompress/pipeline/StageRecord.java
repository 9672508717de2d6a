package dev.nncompress.pipeline;

import java.util.List;
import java.util.Map;

/**
 * One row of the report and the run directory's record of a finished stage ({@code stageN-NAME.json}, written after
 * its artefact, so that a record means the artefact is complete): what ran, with which settings, under which recipe,
 * and how the model after it measures. {@code index} is the stage's place in {@code stages} (-1 for the input model).
 *
 * @param resumed true when this run found the stage done and skipped it (not stored in the record file)
 */
public record StageRecord(int index, String stage, String artefact, String recipeSha256, Map<String, Object> settings, Metrics metrics,
                          double seconds, List<String> notes, boolean resumed) {
    public StageRecord {
        settings = settings == null ? Map.of() : settings;
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    StageRecord asResumed() { return new StageRecord(index, stage, artefact, recipeSha256, settings, metrics, seconds, notes, true); }

    /** "input", "stages[2] prune" */
    public String label() { return index < 0 ? "input" : "stages[" + index + "] " + stage; }

    /**
     * How a model measures on the run's test images and this machine's CPU (or the run's backend).
     *
     * @param latencyMs   one image at a time, mean milliseconds per image
     * @param throughput  images per second at {@code benchBatch}
     * @param sparsity    fraction of zeros per conv/linear weight (float models)
     * @param sqnrDb      per-layer quantisation SQNR in dB, each layer alone in int8 (quantize stages)
     * @param confusion   rows: true class, columns: predicted
     */
    public record Metrics(double accuracy, int testImages, long fileBytes, long params, double latencyMs, double throughput, int benchBatch,
                          String kind, Map<String, Double> sparsity, Map<String, Double> sqnrDb, int[][] confusion) {
        public Metrics {
            sparsity = sparsity == null ? Map.of() : sparsity;
            sqnrDb = sqnrDb == null ? Map.of() : sqnrDb;
            confusion = confusion == null ? new int[0][] : confusion;
        }
    }
}
