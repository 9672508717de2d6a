package dev.nncompress.graph.ops;

import dev.nncompress.backend.Binary;
import dev.nncompress.backend.BroadcastGeometry;
import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * ADD, SUB, MUL and DIV with numpy/ONNX broadcasting over the whole [N, ...] tensors
 * ({@link BroadcastGeometry}), in two forms:
 * <ul>
 *   <li>two inputs, activations of the same rank: ADD of one shape is the residual sum (the only form
 *       model files had before; they load unchanged), MUL of [C, H, W] and [C, 1, 1] a squeeze-excitation gate;</li>
 *   <li>one input and the parameter {@code <node>.constant}, the other operand (an ONNX initializer or a
 *       folded constant); attribute {@code constant_first} = 1 puts it first (c - x, c / x). Its dims align
 *       with the whole tensor's from the right ([C, 1, 1], [1, C, 1, 1], [1]); a dim aligned with the batch
 *       must be 1. The importer makes it a buffer (not trainable), so fine-tuning keeps it fixed; a trainable
 *       one (a file may say so) gets its gradient like any weight.</li>
 * </ul>
 * Gradients: {@link Binary}, each summed back to its operand's shape.
 */
public final class ArithmeticOp implements Op {
    public static final String CONSTANT = "constant";
    public static final String CONSTANT_FIRST = "constant_first";
    private static final List<AttrSpec> ATTRS = List.of(AttrSpec.flag(CONSTANT_FIRST));

    private final Binary kind;

    public ArithmeticOp(Binary kind) { this.kind = kind; }

    /** The backend kind of an arithmetic op type, or null for any other type. */
    public static Binary kindOf(OpType op) {
        return switch (op) {
            case ADD -> Binary.ADD;
            case SUB -> Binary.SUB;
            case MUL -> Binary.MUL;
            case DIV -> Binary.DIV;
            default -> null;
        };
    }

    /** True for a node of the one-input form (its other operand is the parameter {@code <node>.constant}). */
    public static boolean hasConstant(Node n) { return kindOf(n.op()) != null && n.inputs().size() == 1; }

    @Override public List<AttrSpec> attributes() { return ATTRS; }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) {
        String constant = n.paramName(CONSTANT);
        boolean hasConst = g.params().containsKey(constant);
        String op = n.op().toString();
        if (in.size() == 2) {
            if (hasConst) throw new IllegalArgumentException(op + " with 2 inputs takes no parameter " + constant);
            if (n.flag(CONSTANT_FIRST)) throw new IllegalArgumentException(op + " with 2 inputs takes no attribute " + CONSTANT_FIRST);
            Shape a = in.get(0), b = in.get(1);
            if (a.rank() != b.rank()) {
                throw new IllegalArgumentException(op + " inputs [N, " + OpChecks.dims(a) + "] and [N, " + OpChecks.dims(b) + "] differ in rank; "
                        + "broadcasting them would align the batch dim with a feature dim");
            }
            return perSample(BroadcastGeometry.of(op, batchOfOne(a), batchOfOne(b)).out());
        }
        if (in.size() != 1) throw new IllegalArgumentException(op + " takes 1 or 2 inputs, got " + in.size());
        if (!hasConst) throw new IllegalArgumentException(op + " with 1 input takes its other operand from the parameter " + constant + ", which is missing");
        Shape x = in.get(0), c = g.param(constant).value().shape();
        if (c.rank() > x.rank() + 1) {
            throw new IllegalArgumentException("constant " + constant + " " + c + " has more dims than its input [N, " + OpChecks.dims(x) + "]");
        }
        if (c.rank() == x.rank() + 1 && c.dim(0) != 1) {
            throw new IllegalArgumentException("constant " + constant + " " + c + ": dim 0 aligns with the batch dim of [N, " + OpChecks.dims(x) + "] and must be 1");
        }
        return perSample(BroadcastGeometry.of(op, batchOfOne(x), c).out());
    }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        Tensor a = in.get(0), b;
        if (in.size() == 2) {
            b = in.get(1);
        } else {
            Tensor c = ctx.param(n, CONSTANT).value();
            if (n.flag(CONSTANT_FIRST)) {
                b = a;
                a = c;
            } else {
                b = c;
            }
        }
        if (ctx.training()) ctx.save(n, a, b);
        // the residual sum keeps the op it had before broadcasting: the same bits on every backend
        if (residual(n, a, b)) return ctx.backend().add(a, b);
        return ctx.backend().binary(kind, a, b);
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        Object[] s = ctx.saved(n);
        Tensor a = (Tensor) s[0], b = (Tensor) s[1];
        var be = ctx.backend();
        if (residual(n, a, b)) return List.of(be.scale(gradOut, 1f), be.scale(gradOut, 1f)); // two tensors: the runner may add into either
        if (n.inputs().size() == 2) {
            // the graph input's gradient is never used: skip it (both inputs may be the same node; each gets its own tensor)
            Tensor ga = Graph.INPUT.equals(n.inputs().get(0)) ? null : be.binaryBackward(kind, 0, a, b, gradOut);
            Tensor gb = Graph.INPUT.equals(n.inputs().get(1)) ? null : be.binaryBackward(kind, 1, a, b, gradOut);
            return Arrays.asList(ga, gb);
        }
        int x = n.flag(CONSTANT_FIRST) ? 1 : 0;
        Parameter c = ctx.param(n, CONSTANT);
        if (c.trainable()) c.accumulateGrad(be.binaryBackward(kind, 1 - x, a, b, gradOut));
        return Arrays.asList(ctx.needsInputGrad(n) ? be.binaryBackward(kind, x, a, b, gradOut) : null);
    }

    private boolean residual(Node n, Tensor a, Tensor b) { return kind == Binary.ADD && n.inputs().size() == 2 && a.shape().equals(b.shape()); }

    private static Shape batchOfOne(Shape sample) {
        int[] d = new int[sample.rank() + 1];
        d[0] = 1;
        for (int i = 0; i < sample.rank(); i++) d[i + 1] = sample.dim(i);
        return Shape.of(d);
    }

    /** [1, ...] to [...]: the shapes broadcast here have a batch dim of 1 in front. */
    private static Shape perSample(Shape withBatch) {
        return Shape.of(Arrays.copyOfRange(withBatch.dims(), 1, withBatch.rank()));
    }

}
