package dev.nncompress.graph;

/** The ops a graph may contain. Each has one implementation in {@code graph.ops} (see {@link Ops}). */
public enum OpType {
    CONV2D, LINEAR, RELU, MAXPOOL2D, AVGPOOL2D, GLOBAL_AVGPOOL, BATCHNORM2D, FLATTEN, ADD, DROPOUT,
    // shapes family (issue 17)
    CONCAT, RESHAPE, REDUCE_MEAN
}
