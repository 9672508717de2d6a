package dev.nncompress.graph;

/** The ops a graph may contain. Each has one implementation in {@code graph.ops} (see {@link Ops}). */
public enum OpType {
    CONV2D, LINEAR, RELU, MAXPOOL2D, AVGPOOL2D, GLOBAL_AVGPOOL, BATCHNORM2D, FLATTEN, ADD, DROPOUT,
    // shapes family (issue 17)
    CONCAT, RESHAPE, REDUCE_MEAN,
    // pointwise family (issue 17): activations (ActivationOp), arithmetic with broadcasting (ArithmeticOp, with ADD), softmax
    CLIP, LEAKY_RELU, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH, SUB, MUL, DIV, SOFTMAX
}
