package dev.nncompress.graph;

import dev.nncompress.tensor.Tensor;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * How {@link GraphRunner} computes one node in a forward pass: its output from its inputs' values (in the node's
 * input order). A float graph's nodes all run {@link #FLOAT_OP}, the node's own {@link Op}; an inference plan (the
 * int8 engine's: {@code int8.Int8Plan}) gives each node its own step, e.g. a {@code Backend} int8 op on codes.
 * A step returns a new value or one of its inputs (a pass-through); the runner owns and frees what it returns, and
 * temporaries it makes are either closed by the step or handed to {@link OpContext#track}.
 */
@FunctionalInterface
public interface NodeStep {
    Value run(Node node, List<Value> inputs, OpContext ctx);

    /** The node's float op ({@link Ops}) on float inputs: every node of a float graph. */
    NodeStep FLOAT_OP = (node, inputs, ctx) -> Value.of(Ops.of(node.op()).forward(node, floats(inputs), ctx));

    /** The inputs as float tensors; IllegalStateException when one is int8 codes. */
    static List<Tensor> floats(List<Value> inputs) {
        if (inputs.size() == 1) return Collections.singletonList(inputs.get(0).floats());
        Tensor[] ts = new Tensor[inputs.size()];
        for (int i = 0; i < ts.length; i++) ts[i] = inputs.get(i).floats();
        return Arrays.asList(ts);
    }
}
