package dev.nncompress.graph.ops;

import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/** Max, average and global-average pooling over NCHW input. */
public final class PoolOps {
    private PoolOps() {}

    /** Max and average pools' window (Pool2dSpec adds padding <= kernel / 2). */
    private static final List<AttrSpec> WINDOW = List.of(AttrSpec.integer("kernel_h", 1, AttrSpec.MAX_WINDOW),
            AttrSpec.integer("kernel_w", 1, AttrSpec.MAX_WINDOW), AttrSpec.integer("stride_h", 1, AttrSpec.MAX_WINDOW),
            AttrSpec.integer("stride_w", 1, AttrSpec.MAX_WINDOW), AttrSpec.integer("pad_h", 0, AttrSpec.MAX_WINDOW / 2),
            AttrSpec.integer("pad_w", 0, AttrSpec.MAX_WINDOW / 2));

    public static Pool2dSpec spec(Node n) {
        return new Pool2dSpec(n.intAttr("kernel_h"), n.intAttr("kernel_w"), n.intAttr("stride_h"), n.intAttr("stride_w"),
                n.intAttr("pad_h"), n.intAttr("pad_w"));
    }

    static Shape pooled(Node n, List<Shape> in, Pool2dSpec s) {
        Shape x = OpChecks.single(n, in, 3);
        return Shape.of(x.dim(0), s.outH(x.dim(1)), s.outW(x.dim(2)));
    }

    public static final class MaxPool implements Op {
        @Override public List<AttrSpec> attributes() { return WINDOW; }

        @Override
        public Shape outputShape(Node n, List<Shape> in, Graph g) { return pooled(n, in, spec(n)); }

        @Override
        public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
            if (ctx.training()) ctx.save(n, in.get(0));
            return ctx.backend().maxPool2d(in.get(0), spec(n));
        }

        @Override
        public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
            return List.of(ctx.backend().maxPool2dBackward((Tensor) ctx.saved(n)[0], gradOut, spec(n)));
        }
    }

    public static final class AvgPool implements Op {
        @Override public List<AttrSpec> attributes() { return WINDOW; }

        @Override
        public Shape outputShape(Node n, List<Shape> in, Graph g) { return pooled(n, in, spec(n)); }

        @Override
        public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
            if (ctx.training()) ctx.save(n, in.get(0).shape());
            return ctx.backend().avgPool2d(in.get(0), spec(n));
        }

        @Override
        public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
            return List.of(ctx.backend().avgPool2dBackward((Shape) ctx.saved(n)[0], gradOut, spec(n)));
        }
    }

    /** Mean over H and W: [C, H, W] to [C, 1, 1] (PyTorch's AdaptiveAvgPool2d(1)). */
    public static final class GlobalAvgPool implements Op {
        @Override public List<AttrSpec> attributes() { return List.of(); }

        private static Pool2dSpec whole(Shape x) { return new Pool2dSpec(x.dim(-2), x.dim(-1), x.dim(-2), x.dim(-1), 0, 0); }

        @Override
        public Shape outputShape(Node n, List<Shape> in, Graph g) {
            Shape x = OpChecks.single(n, in, 3);
            return Shape.of(x.dim(0), 1, 1);
        }

        @Override
        public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
            Shape x = in.get(0).shape();
            if (ctx.training()) ctx.save(n, x);
            return ctx.backend().avgPool2d(in.get(0), whole(x));
        }

        @Override
        public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
            Shape x = (Shape) ctx.saved(n)[0];
            return List.of(ctx.backend().avgPool2dBackward(x, gradOut, whole(x)));
        }
    }
}
