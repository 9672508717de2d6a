package dev.nncompress.io.onnx;

import dev.nncompress.tensor.Shape;

/** What an ONNX value name stands for during import: a constant the importer knows, or an activation one of our nodes computes. */
sealed interface Value permits Const, Value.Activation {
    /**
     * The output of our node {@code node} (or the graph input), {@code shape} per sample (the batch
     * dimension excluded, as everywhere in our graph).
     */
    record Activation(String node, Shape shape) implements Value {}
}
