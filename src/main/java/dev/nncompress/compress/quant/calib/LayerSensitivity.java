package dev.nncompress.compress.quant.calib;

/**
 * What quantising one layer alone costs: {@code sqnrDb} of that layer's output against float (its own
 * weight and output quantised, everything before it float), and {@code logitsMse}, the mean squared
 * error that this alone causes in the final logits. {@code quantised} says what was quantised:
 * "weight+output" for conv/linear, "output" for the input and other observed tensors.
 */
public record LayerSensitivity(String node, String op, String quantised, double sqnrDb, double logitsMse) {}
