package dev.nncompress.graph.ops;

import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/**
 * Softmax over one dim (ONNX opset 13's Softmax): attribute {@code axis} counts the whole tensor's
 * dims, batch included, negative from the end (default -1, the last); the batch dim itself (0) is
 * refused, as it would mix the samples of a batch. Training reads the logits before a final softmax:
 * see {@code graph.Logits}.
 */
public final class SoftmaxOp implements Op {
    /** The most dims a tensor of the graph has (3 per sample) and then some: a file cannot name an axis far outside. */
    static final int MAX_AXIS = 8;
    private static final List<AttrSpec> ATTRS = List.of(new AttrSpec("axis", true, -MAX_AXIS, false, MAX_AXIS, false, -1.0));

    @Override public List<AttrSpec> attributes() { return ATTRS; }

    /** The axis as an index into the [N, ...] tensor whose per-sample shape is {@code sample}, in [1, rank]. */
    public static int axis(Node n, Shape sample) {
        int full = sample.rank() + 1;
        int a = n.attrs().containsKey("axis") ? n.intAttr("axis") : -1;
        int k = a < 0 ? a + full : a;
        if (k == 0) throw new IllegalArgumentException("SOFTMAX axis " + a + " is the batch dimension of [N, " + OpChecks.dims(sample) + "]; it would mix the samples");
        if (k < 0 || k >= full) throw new IllegalArgumentException("SOFTMAX axis " + a + " is not a dim of [N, " + OpChecks.dims(sample) + "]");
        return k;
    }


    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) {
        Shape x = OpChecks.single(n, in, -1);
        axis(n, x);
        return x;
    }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        Tensor x = in.get(0);
        int k = axis(n, sampleOf(x.shape()));
        Tensor y = ctx.backend().softmax(x, k);
        if (ctx.training()) ctx.save(n, y);
        return y;
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        Tensor y = (Tensor) ctx.saved(n)[0];
        return List.of(ctx.backend().softmaxBackward(y, gradOut, axis(n, sampleOf(y.shape()))));
    }

    private static Shape sampleOf(Shape batch) {
        int[] d = new int[batch.rank() - 1];
        for (int i = 0; i < d.length; i++) d[i] = batch.dim(i + 1);
        return Shape.of(d);
    }
}
