package dev.nncompress.graph.ops;

import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Inverted dropout (attr {@code p}): in training each element is zeroed with probability p and the
 * rest scaled by 1/(1-p); in inference it is the identity. The mask comes from the pass seed and the
 * node name, so a seeded run is repeatable on any backend.
 */
public final class DropoutOp implements Op {
    private static final List<AttrSpec> ATTRS = List.of(AttrSpec.real("p", 0, false, 1, true, 0.5));

    @Override public List<AttrSpec> attributes() { return ATTRS; }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) { return OpChecks.single(n, in, -1); }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        Tensor x = in.get(0);
        if (!ctx.training()) return ctx.backend().reshape(x, x.shape());
        float p = (float) n.attr("p", 0.5);
        float keepScale = 1f / (1f - p);
        float[] mask = new float[x.numel()];
        SplittableRandom rng = new SplittableRandom(ctx.seed() * 31 + n.name().hashCode());
        for (int i = 0; i < mask.length; i++) mask[i] = rng.nextDouble() < p ? 0f : keepScale;
        Tensor m = ctx.track(ctx.backend().fromFloats(mask, x.shape()));
        ctx.save(n, m);
        return ctx.backend().mul(x, m);
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        return List.of(ctx.backend().mul(gradOut, (Tensor) ctx.saved(n)[0]));
    }
}
