package dev.nncompress.graph.ops;

import dev.nncompress.backend.Unary;
import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.graph.OpType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/**
 * The elementwise activations CLIP (ReLU6 is min 0, max 6), LEAKY_RELU, SIGMOID, HARD_SIGMOID,
 * HARD_SWISH and TANH: one op type each, so that a model file says "SIGMOID" rather than a kind
 * number, each type lists exactly the attributes it reads (a LEAKY_RELU with a "beta" is refused) and
 * the compression passes switch on the type as they do on RELU; one implementation here, on the
 * backend's one {@code unary} pair. Values and gradients at the kinks: {@link Unary}.
 *
 * <p>Attributes: CLIP {@code min}, {@code max} (each optional, absent = unbounded; min > max gives max
 * everywhere, as ONNX); LEAKY_RELU {@code alpha} (0.01); HARD_SIGMOID {@code alpha} (0.2), {@code beta}
 * (0.5), ONNX's defaults; HARD_SWISH has its fixed 1/6 and 1/2.
 */
public final class ActivationOp implements Op {
    /** Bounds of any real attribute: values a float holds (a larger double would round to infinity). */
    private static final double F = Float.MAX_VALUE;
    private static final float SIXTH = 1f / 6f;

    private final Unary kind;
    private final List<AttrSpec> attrs;

    public ActivationOp(Unary kind) {
        this.kind = kind;
        this.attrs = switch (kind) {
            case CLIP -> List.of(AttrSpec.real("min", -F, false, F, false, Double.NEGATIVE_INFINITY),
                    AttrSpec.real("max", -F, false, F, false, Double.POSITIVE_INFINITY));
            case LEAKY_RELU -> List.of(AttrSpec.real("alpha", -F, false, F, false, 0.01));
            case HARD_SIGMOID -> List.of(AttrSpec.real("alpha", -F, false, F, false, 0.2), AttrSpec.real("beta", -F, false, F, false, 0.5));
            case SIGMOID, HARD_SWISH, TANH -> List.of();
        };
    }

    /** The backend kind of an activation op type, or null for any other type. */
    public static Unary kindOf(OpType op) {
        return switch (op) {
            case CLIP -> Unary.CLIP;
            case LEAKY_RELU -> Unary.LEAKY_RELU;
            case SIGMOID -> Unary.SIGMOID;
            case HARD_SIGMOID -> Unary.HARD_SIGMOID;
            case HARD_SWISH -> Unary.HARD_SWISH;
            case TANH -> Unary.TANH;
            default -> null;
        };
    }

    /**
     * True where the node's output is a ReLU's: 0 exactly where its input is <= 0 and the input above,
     * possibly capped (RELU, and CLIP with min 0, i.e. ReLU6). Activation statistics (APoZ) count its zeros.
     */
    public static boolean zeroesNegatives(Node n) {
        return n.op() == OpType.RELU || (n.op() == OpType.CLIP && n.attrs().containsKey("min") && n.attr("min", 1) == 0.0);
    }

    @Override public List<AttrSpec> attributes() { return attrs; }

    /** {a, b} of the node for the backend (see {@link Unary}). */
    public float[] params(Node n) {
        return switch (kind) {
            case CLIP -> new float[] {(float) n.attr("min", Double.NEGATIVE_INFINITY), (float) n.attr("max", Double.POSITIVE_INFINITY)};
            case LEAKY_RELU -> new float[] {(float) n.attr("alpha", 0.01), 0f};
            case HARD_SIGMOID -> new float[] {(float) n.attr("alpha", 0.2), (float) n.attr("beta", 0.5)};
            case HARD_SWISH -> new float[] {SIXTH, 0.5f};
            case SIGMOID, TANH -> new float[] {0f, 0f};
        };
    }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) { return OpChecks.single(n, in, -1); }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        float[] p = params(n);
        Tensor y = ctx.backend().unary(kind, in.get(0), p[0], p[1]);
        if (ctx.training()) ctx.save(n, in.get(0), y); // both are held by the pass anyway
        return y;
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        Object[] s = ctx.saved(n);
        float[] p = params(n);
        return List.of(ctx.backend().unaryBackward(kind, (Tensor) s[0], (Tensor) s[1], gradOut, p[0], p[1]));
    }
}
