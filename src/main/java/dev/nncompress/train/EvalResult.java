package dev.nncompress.train;

/** Accuracy, mean cross-entropy and the confusion matrix (rows: true class, columns: predicted). */
public record EvalResult(int count, int correct, float loss, int[][] confusion, double imagesPerSecond) {
    public float accuracy() { return count == 0 ? 0f : (float) correct / count; }
}
