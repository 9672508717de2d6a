package dev.nncompress.backend.ref;

/**
 * Gradients of a sparse convolution: {@code input} [N,C,H,W]; {@code weight} the full OIHW gradient
 * (structured, zero outside the kept blocks) or one value per CSR entry (unstructured); {@code bias}
 * [O] (zero for pruned filters), or null when there is no bias.
 */
public record SparseConvGrads(float[] input, float[] weight, float[] bias) {}
