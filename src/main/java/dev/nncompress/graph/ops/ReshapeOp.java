package dev.nncompress.graph.ops;

import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A view of each sample under another shape with the same number of values, row-major (ONNX Reshape,
 * Squeeze, Unsqueeze, Flatten once the importer has resolved them to a static per-sample target); the
 * batch dim stays first and whole. The target is {@code dim0, dim1, ...} (consecutive, at most 8); one
 * of them may be -1, inferred from the input's size: the importer writes -1 where the channel dim
 * carries through unchanged, so that a graph whose channels are pruned still reshapes. Forward and
 * backward are reshapes (views, no copy).
 */
public final class ReshapeOp implements Op {
    /** Most per-sample dims of a target (ONNX tensors have at most 8 dims with the batch; one more here costs nothing). */
    public static final int MAX_RANK = 8;
    private static final List<AttrSpec> ATTRS;

    static {
        List<AttrSpec> a = new ArrayList<>();
        a.add(AttrSpec.integer("dim0", -1, Graph.MAX_SAMPLE_VALUES));
        for (int i = 1; i < MAX_RANK; i++) a.add(new AttrSpec("dim" + i, true, -1, false, Graph.MAX_SAMPLE_VALUES, false, 0.0)); // optional
        ATTRS = List.copyOf(a);
    }

    @Override public List<AttrSpec> attributes() { return ATTRS; }

    /** The per-sample target of {@code n} for an input of {@code x}; throws naming what does not fit. */
    public static Shape target(Node n, Shape x) {
        int rank = 0;
        while (rank < MAX_RANK && n.attrs().containsKey("dim" + rank)) rank++;
        for (int i = rank; i < MAX_RANK; i++) {
            if (n.attrs().containsKey("dim" + i)) throw new IllegalArgumentException("RESHAPE has dim" + i + " but no dim" + rank + "; dims are consecutive");
        }
        int[] d = new int[rank];
        int infer = -1;
        long known = 1; // stays <= numel * 2^24: no overflow
        for (int i = 0; i < rank; i++) {
            d[i] = n.intAttr("dim" + i);
            if (d[i] == 0) throw new IllegalArgumentException("RESHAPE dim" + i + " is 0; a dim is >= 1, or -1 to infer");
            if (d[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("RESHAPE infers both dim" + infer + " and dim" + i);
                infer = i;
            } else if (known <= x.numel()) {
                known *= d[i];
            }
        }
        boolean fits = infer >= 0 ? known <= x.numel() && x.numel() % known == 0 : known == x.numel();
        if (!fits) {
            throw new IllegalArgumentException("RESHAPE cannot view " + x + " (" + x.numel() + " values per sample) as " + java.util.Arrays.toString(d));
        }
        if (infer >= 0) d[infer] = (int) (x.numel() / known);
        return Shape.of(d);
    }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) { return target(n, OpChecks.single(n, in, -1)); }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        Tensor x = in.get(0);
        Shape sample = Shape.of(java.util.Arrays.copyOfRange(x.shape().dims(), 1, x.shape().rank()));
        if (ctx.training()) ctx.save(n, x.shape());
        return ctx.backend().reshape(x, withBatch(x.shape().dim(0), target(n, sample)));
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        return List.of(ctx.backend().reshape(gradOut, (Shape) ctx.saved(n)[0]));
    }

    /** [batch, sample...]. */
    static Shape withBatch(int batch, Shape sample) {
        int[] d = new int[sample.rank() + 1];
        d[0] = batch;
        for (int i = 0; i < sample.rank(); i++) d[i + 1] = sample.dim(i);
        return Shape.of(d);
    }
}
