package dev.nncompress.graph;

import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/**
 * Forward and explicit backward of one op type. Implementations are stateless; whatever backward
 * needs is kept with {@link OpContext#save}. Shapes exclude the batch dimension.
 */
public interface Op {
    /**
     * The attributes this op reads, with their accepted values; {@link Node}'s constructor rejects
     * any other attribute and any value outside these. Abstract on purpose: a new op must state its own.
     */
    List<AttrSpec> attributes();

    /** Output shape for one sample; throws IllegalArgumentException naming what does not fit. */
    Shape outputShape(Node node, List<Shape> inputs, Graph graph);

    Tensor forward(Node node, List<Tensor> inputs, OpContext ctx);

    /**
     * Gradients w.r.t. each input (same order; an entry may be null when the input is the graph
     * input and {@link OpContext#needsInputGrad} is false), accumulating parameter gradients into the
     * graph's parameters.
     */
    List<Tensor> backward(Node node, Tensor gradOut, OpContext ctx);
}
