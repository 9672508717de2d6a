package dev.nncompress.io.onnx;

import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.io.onnx.Value.Activation;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.tensor.Shape;
import dev.nncompress.util.Quoted;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pointwise ONNX ops, each onto one of ours: Clip (opset 11+: min and max as optional constant
 * inputs; min 0 without max is our RELU) -> CLIP, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh ->
 * the activation of that name, Add/Sub/Mul/Div -> ADD/SUB/MUL/DIV with broadcasting (two activations,
 * or an activation and a constant, which becomes the node's {@code constant} buffer), Softmax ->
 * SOFTMAX (opset 13's axis; opsets 11-12's 2-D coerced form where it is the same thing).
 */
final class PointwiseMappers {
    /** The ONNX ops mapped here (Add also in {@link DenseMappers}, which first tries to fold a constant addend into a bias). */
    static final List<String> OPS = List.of("Clip", "Div", "HardSigmoid", "HardSwish", "LeakyRelu", "Mul", "Sigmoid", "Softmax", "Sub", "Tanh");

    private PointwiseMappers() {}

    static Activation map(NodeProto n, String where, String op, List<Value> in, ImportContext ctx) {
        return switch (op) {
            case "Clip" -> clip(n, where, in, ctx);
            case "LeakyRelu" -> {
                Attrs a = new Attrs(n, where, Attrs.of("alpha"));
                yield activation(n, where, in, ctx, OpType.LEAKY_RELU, Map.of("alpha", (double) finite(a.real("alpha", 0.01f), where, "alpha")));
            }
            case "HardSigmoid" -> {
                Attrs a = new Attrs(n, where, Attrs.of("alpha", "beta"));
                yield activation(n, where, in, ctx, OpType.HARD_SIGMOID, Map.of("alpha", (double) finite(a.real("alpha", 0.2f), where, "alpha"),
                        "beta", (double) finite(a.real("beta", 0.5f), where, "beta")));
            }
            case "Sigmoid" -> plain(n, where, in, ctx, OpType.SIGMOID);
            case "HardSwish" -> plain(n, where, in, ctx, OpType.HARD_SWISH);
            case "Tanh" -> plain(n, where, in, ctx, OpType.TANH);
            case "Sub" -> arithmetic(n, where, in, ctx, OpType.SUB);
            case "Mul" -> arithmetic(n, where, in, ctx, OpType.MUL);
            case "Div" -> arithmetic(n, where, in, ctx, OpType.DIV);
            case "Softmax" -> softmax(n, where, in, ctx);
            default -> throw new IllegalStateException(op + " is not a pointwise op");
        };
    }

    private static Activation plain(NodeProto n, String where, List<Value> in, ImportContext ctx, OpType op) {
        new Attrs(n, where, Attrs.of());
        return activation(n, where, in, ctx, op, Map.of());
    }

    private static Activation activation(NodeProto n, String where, List<Value> in, ImportContext ctx, OpType op, Map<String, Double> attrs) {
        if (in.size() != 1) throw new IllegalArgumentException(where + " must have 1 input, has " + in.size());
        Activation x = Inputs.activation(in, 0, where, "X", -1);
        return ctx.add(ctx.nodeName(null, n.getName(), n.getOpType()), op, List.of(x), attrs, Map.of(), n.getName(), n.getOutput(0));
    }

    /**
     * Clip(x, min, max), the bounds optional inputs (opset 11+; "" leaves one out) that must be constants
     * holding one FLOAT each: bounds computed from the image are refused. Clip(x, 0) is ReLU and becomes our
     * RELU (ReLU fusion and the int8 epilogue then apply); ReLU6 is Clip(x, 0, 6).
     */
    private static Activation clip(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        new Attrs(n, where, Attrs.of());
        if (in.isEmpty() || in.size() > 3) throw new IllegalArgumentException(where + " must have 1 to 3 inputs (input, min, max), has " + in.size());
        Activation x = Inputs.activation(in, 0, where, "input", -1);
        Map<String, Double> attrs = new LinkedHashMap<>();
        String[] roles = {"min", "max"};
        for (int i = 1; i < in.size(); i++) {
            Value v = in.get(i);
            if (v == null) continue;
            if (!(v instanceof Const c)) {
                throw new IllegalArgumentException(where + ": " + roles[i - 1] + " is computed from the image; this importer maps Clip only with constant bounds");
            }
            if (!c.isFloat() || c.numel() != 1) {
                throw new IllegalArgumentException(where + ": " + roles[i - 1] + " " + Inputs.name(c) + " must be one FLOAT value, is " + c.describe()
                        + " of " + DataTypes.name(c.type()));
            }
            attrs.put(roles[i - 1], (double) c.floats()[0]);
        }
        if (attrs.size() == 1 && attrs.getOrDefault("min", -1.0) == 0.0) {
            ctx.countFolded("Clip min 0 (as Relu)");
            return activation(n, where, in.subList(0, 1), ctx, OpType.RELU, Map.of());
        }
        return activation(n, where, in.subList(0, 1), ctx, OpType.CLIP, attrs);
    }

    /**
     * A op B with broadcasting. Two activations: both [N, ...] of one rank (the batch dims align). An activation
     * and a constant: the constant becomes the buffer {@code <node>.constant} (not trainable: fine-tuning keeps it),
     * first when it is ONNX's first input of a Sub or Div (c - x, c / x); it must be FLOAT, of rank at most the
     * activation's ([N, ...]), with a 1 in any dim aligned with the batch. Two constants are folded before this
     * ({@link ConstantArithmetic}).
     */
    static Activation arithmetic(NodeProto n, String where, List<Value> in, ImportContext ctx, OpType op) {
        new Attrs(n, where, Attrs.of());
        if (in.size() != 2 || in.get(0) == null || in.get(1) == null) throw new IllegalArgumentException(where + " must have 2 inputs");
        String name = ctx.nodeName(null, n.getName(), n.getOpType());
        if (in.get(0) instanceof Activation a && in.get(1) instanceof Activation b) {
            if (a.shape().rank() != b.shape().rank()) {
                throw new IllegalArgumentException(where + " broadcasts [N, " + dims(a.shape()) + "] with [N, " + dims(b.shape())
                        + "]; two computed inputs must have the same rank, so that their batch dims align");
            }
            return ctx.add(name, op, List.of(a, b), Map.of(), Map.of(), n.getName(), n.getOutput(0));
        }
        int xi = in.get(0) instanceof Activation ? 0 : 1;
        Activation x = (Activation) in.get(xi);
        Const c = Inputs.checkWeight(in.get(1 - xi), where, "constant operand", -1);
        int r = x.shape().rank() + 1;
        if (c.rank() > r || (c.rank() == r && c.dims()[0] != 1)) {
            throw new IllegalArgumentException(where + ": constant " + Inputs.name(c) + " " + Arrays.toString(c.dims()) + " would broadcast over the batch of [N, "
                    + dims(x.shape()) + "]; a constant operand may have at most " + r + " dims, the first of them 1 when it has " + r);
        }
        if (c.rank() == 0) c = c.reshaped(new int[] {1}, c.source()); // a scalar: [1] broadcasts the same
        boolean first = xi == 1 && (op == OpType.SUB || op == OpType.DIV); // Add and Mul commute: the constant goes second
        Map<String, Double> attrs = first ? Map.of(ArithmeticOp.CONSTANT_FIRST, 1.0) : Map.of();
        return ctx.add(name, op, List.of(x), attrs, Map.of(ArithmeticOp.CONSTANT, c), n.getName(), n.getOutput(0));
    }

    /**
     * Softmax: opset 13+ normalises along {@code axis} (default -1); opsets 11-12 flatten the input to 2-D at
     * {@code axis} (default 1) and normalise the second part jointly, which is the same as one dim when at most
     * one of the dims from {@code axis} on is larger than 1 (classifier logits [N, K] at the default axis).
     * Other coerced forms are refused, as is an axis on the batch.
     */
    private static Activation softmax(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, Attrs.of("axis"));
        Activation x = Inputs.activation(in, 0, where, "input", -1);
        Shape s = x.shape();
        int r = s.rank() + 1;
        long given = a.integer("axis", ctx.opset >= 13 ? -1 : 1);
        int axis = ConstantFolder.axis(given, r, where);
        if (axis == 0) throw new IllegalArgumentException(where + " normalises along axis " + given + ", the batch dim of [N, " + dims(s) + "]");
        if (ctx.opset < 13) {
            int larger = -1, count = 0;
            for (int d = axis; d < r; d++) {
                if (s.dim(d - 1) > 1) {
                    larger = d;
                    count++;
                }
            }
            if (count > 1) {
                throw new IllegalArgumentException(where + " (opset " + ctx.opset + ") normalises [N, " + dims(s) + "] jointly over dims " + axis + " to " + (r - 1)
                        + " (the 2-D coerced form); this importer maps it only when at most one of those dims is larger than 1 (export with opset 13 or later)");
            }
            if (larger > 0) axis = larger;
        }
        return activation(n, where, in, ctx, OpType.SOFTMAX, Map.of("axis", (double) axis));
    }

    private static float finite(float v, String where, String attr) {
        if (!Float.isFinite(v)) throw new IllegalArgumentException(where + ": attribute " + attr + " = " + v + " is not finite");
        return v;
    }

    private static String dims(Shape s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.rank(); i++) b.append(i == 0 ? "" : ", ").append(s.dim(i));
        return b.toString();
    }
}
