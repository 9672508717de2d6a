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

/** Max, average and global-average pooling over NCHW input (ONNX's and PyTorch's window options, {@link Pool2dSpec}). */
public final class PoolOps {
    private PoolOps() {}

    /**
     * Max and average pools' window: kernel, stride, padding at the start (pad_h rows above, pad_w columns
     * left) and optionally at the end (pad_bottom, pad_right; absent: the same as at the start, which is
     * what files written before them mean), ceil_mode (absent: 0). {@link Pool2dSpec} then holds every pad
     * below the window along its axis; at shape inference the output size must fit the input.
     */
    private static final List<AttrSpec> WINDOW = List.of(AttrSpec.integer("kernel_h", 1, AttrSpec.MAX_WINDOW),
            AttrSpec.integer("kernel_w", 1, AttrSpec.MAX_WINDOW), AttrSpec.integer("stride_h", 1, AttrSpec.MAX_WINDOW),
            AttrSpec.integer("stride_w", 1, AttrSpec.MAX_WINDOW), AttrSpec.integer("pad_h", 0, AttrSpec.MAX_WINDOW / 2),
            AttrSpec.integer("pad_w", 0, AttrSpec.MAX_WINDOW / 2), optionalPad("pad_bottom"), optionalPad("pad_right"),
            AttrSpec.flag("ceil_mode"));
    /** The average pool's window plus count_include_pad (absent: 0, the padding is not counted). */
    private static final List<AttrSpec> AVERAGE_WINDOW = java.util.stream.Stream.concat(WINDOW.stream(),
            java.util.stream.Stream.of(AttrSpec.flag("count_include_pad"))).toList();

    /** An end padding in [0, 512]; when absent the op uses the start padding of its axis. */
    private static AttrSpec optionalPad(String name) { return new AttrSpec(name, true, 0, false, AttrSpec.MAX_WINDOW / 2, false, 0.0); }

    public static Pool2dSpec spec(Node n) {
        int padH = n.intAttr("pad_h"), padW = n.intAttr("pad_w");
        int padBottom = n.attrs().containsKey("pad_bottom") ? n.intAttr("pad_bottom") : padH;
        int padRight = n.attrs().containsKey("pad_right") ? n.intAttr("pad_right") : padW;
        return new Pool2dSpec(n.intAttr("kernel_h"), n.intAttr("kernel_w"), n.intAttr("stride_h"), n.intAttr("stride_w"), padH, padW,
                padBottom, padRight, n.flag("ceil_mode"), n.flag("count_include_pad"));
    }

    static Shape pooled(Node n, List<Shape> in) {
        Shape x = OpChecks.single(n, in, 3);
        Pool2dSpec s = spec(n); // throws, naming the pads, when one is not below the window
        return Shape.of(x.dim(0), s.outH(x.dim(1)), s.outW(x.dim(2)));
    }

    public static final class MaxPool implements Op {
        @Override public List<AttrSpec> attributes() { return WINDOW; }

        @Override
        public Shape outputShape(Node n, List<Shape> in, Graph g) { return pooled(n, in); }

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
        @Override public List<AttrSpec> attributes() { return AVERAGE_WINDOW; }

        @Override
        public Shape outputShape(Node n, List<Shape> in, Graph g) { return pooled(n, in); }

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
