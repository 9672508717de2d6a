package dev.nncompress.io.onnx;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.graph.ops.BatchNorm2dOp;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.graph.ops.PoolOps;
import dev.nncompress.graph.ops.SoftmaxOp;
import dev.nncompress.io.onnx.proto.OnnxProto.AttributeProto;
import dev.nncompress.tensor.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.nncompress.io.onnx.ExportBuilder.integer;
import static dev.nncompress.io.onnx.ExportBuilder.ints;
import static dev.nncompress.io.onnx.ExportBuilder.real;

/**
 * Each of our ops as ONNX operators: the inverse of the importer's mappings ({@code docs/onnx-import.md}),
 * so that importing an export gives the same graph function. Attributes are written in ONNX's layout
 * (pads begin-then-end per axis, axes counting the batch); a fused ReLU becomes a Relu node after its
 * Conv or Gemm. Where an operator (or the form we need of it) is newer than the asked opset, the export
 * stops naming both ({@link OnnxExportException}).
 */
final class ExportOps {
    /** HardSwish entered ONNX at opset 14. */
    static final int HARD_SWISH_OPSET = 14;
    /**
     * AveragePool-19 divides a ceil-mode window that runs past the end padding by the part inside the padded
     * input (our and PyTorch's divisor); ONNX Runtime's kernel for opsets 11-18 divides it by the whole window
     * (microsoft/onnxruntime#16203), so such a pool with count_include_pad needs opset 19.
     */
    static final int AVERAGE_POOL_CLIPPED_DIVISOR_OPSET = 19;
    /** ReduceMean takes its axes as an input from opset 18 (an attribute before). */
    static final int REDUCE_MEAN_AXES_INPUT_OPSET = 18;

    private ExportOps() {}

    /**
     * What the mappings read of the graph being exported: its per-sample shapes (by node, and {@code input}) and the
     * initializer name of each parameter (absent: the node has no such parameter).
     */
    record Source(Graph graph, Map<String, Shape> shapes, Map<String, String> initializers) {}

    /**
     * Writes the ONNX nodes for our node {@code n} (ONNX node name {@code nodeName}) whose inputs are the ONNX values
     * {@code in}; returns the value holding its output. The switch is exhaustive on purpose: an op type added to the
     * IR does not compile here until it is mapped, or refused with an {@link OnnxExportException} naming it.
     */
    static String emit(ExportBuilder b, Node n, List<String> in, Source src, String nodeName) {
        List<Shape> inShapes = n.inputs().stream().map(src.shapes()::get).toList();
        Function<String, String> param = src.initializers()::get;
        String out = b.fresh(n.name());
        String x = in.isEmpty() ? null : in.get(0);
        return switch (n.op()) {
            case CONV2D -> withRelu(b, n, nodeName, out, conv(b, n, x, src, nodeName, FusedRelu.on(n) ? b.fresh(n.name() + "_conv") : out));
            case LINEAR -> withRelu(b, n, nodeName, out, gemm(b, n, x, param, nodeName, FusedRelu.on(n) ? b.fresh(n.name() + "_gemm") : out));
            case RELU -> b.node("Relu", nodeName, in, out);
            case MAXPOOL2D -> b.node("MaxPool", nodeName, List.of(x), out, pool(n, inShapes.get(0), false, b.opset));
            case AVGPOOL2D -> b.node("AveragePool", nodeName, List.of(x), out, pool(n, inShapes.get(0), true, b.opset));
            case GLOBAL_AVGPOOL -> b.node("GlobalAveragePool", nodeName, in, out);
            case BATCHNORM2D -> b.node("BatchNormalization", nodeName, List.of(x, param.apply(n.paramName("weight")), param.apply(n.paramName("bias")),
                    param.apply(n.paramName("running_mean")), param.apply(n.paramName("running_var"))), out,
                    real("epsilon", BatchNorm2dOp.eps(n)), real("momentum", 1 - n.attr("momentum", 0.1)));
            case FLATTEN -> b.node("Flatten", nodeName, in, out, integer("axis", 1));
            case RESHAPE -> reshape(b, n, x, nodeName, out, src.shapes().get(n.name()));
            case DROPOUT -> x; // the identity in inference: no node, readers read its input
            case ADD, SUB, MUL, DIV -> arithmetic(b, n, in, param, nodeName, out);
            case CONCAT -> b.node("Concat", nodeName, in, out, integer("axis", n.intAttr("axis") + 1L));
            case REDUCE_MEAN -> reduceMean(b, n, x, nodeName, out);
            case CLIP -> clip(b, n, x, nodeName, out);
            case LEAKY_RELU -> b.node("LeakyRelu", nodeName, in, out, real("alpha", n.attr("alpha", 0.01)));
            case SIGMOID -> b.node("Sigmoid", nodeName, in, out);
            case HARD_SIGMOID -> b.node("HardSigmoid", nodeName, in, out, real("alpha", n.attr("alpha", 0.2)), real("beta", n.attr("beta", 0.5)));
            case HARD_SWISH -> {
                requireOpset(b, n, HARD_SWISH_OPSET, "HardSwish");
                yield b.node("HardSwish", nodeName, in, out);
            }
            case TANH -> b.node("Tanh", nodeName, in, out);
            case SOFTMAX -> b.node("Softmax", nodeName, in, out, integer("axis", SoftmaxOp.axis(n, inShapes.get(0))));
        };
    }

    private static String conv(ExportBuilder b, Node n, String x, Source src, String nodeName, String out) {
        Conv2dSpec s = Conv2dOp.spec(n);
        Function<String, String> param = src.initializers()::get;
        String w = param.apply(n.paramName("weight"));
        List<String> ins = new ArrayList<>(List.of(x, w));
        String bias = param.apply(n.paramName("bias"));
        if (bias != null) ins.add(bias);
        Shape ws = src.graph().param(n.paramName("weight")).value().shape();
        return b.node("Conv", nodeName, ins, out, ints("kernel_shape", ws.dim(2), ws.dim(3)), ints("strides", s.strideH(), s.strideW()),
                ints("pads", s.padH(), s.padW(), s.padBottom(), s.padRight()), ints("dilations", s.dilationH(), s.dilationW()),
                integer("group", s.groups()));
    }

    /** LINEAR is PyTorch's Linear: Gemm with B = weight [O, F] transposed, C = bias. */
    private static String gemm(ExportBuilder b, Node n, String x, Function<String, String> param, String nodeName, String out) {
        List<String> ins = new ArrayList<>(List.of(x, param.apply(n.paramName("weight"))));
        String bias = param.apply(n.paramName("bias"));
        if (bias != null) ins.add(bias);
        return b.node("Gemm", nodeName, ins, out, integer("transB", 1));
    }

    private static String withRelu(ExportBuilder b, Node n, String nodeName, String out, String pre) {
        if (!FusedRelu.on(n)) return pre;
        return b.node("Relu", b.fresh(nodeName + "_relu"), List.of(pre), out);
    }

    private static AttributeProto[] pool(Node n, Shape x, boolean average, int opset) {
        Pool2dSpec s = PoolOps.spec(n);
        List<AttributeProto> a = new ArrayList<>(List.of(ints("kernel_shape", s.kernelH(), s.kernelW()), ints("strides", s.strideH(), s.strideW()),
                ints("pads", s.padH(), s.padW(), s.padBottom(), s.padRight())));
        if (s.ceilMode()) a.add(integer("ceil_mode", 1));
        if (average && s.countIncludePad()) {
            a.add(integer("count_include_pad", 1));
            if (opset < AVERAGE_POOL_CLIPPED_DIVISOR_OPSET && s.ceilMode() && overhangs(s, x)) {
                throw new OnnxExportException("node " + n.name() + " (AVGPOOL2D, ceil_mode with count_include_pad and a last window past the end padding) needs"
                        + " ONNX opset " + AVERAGE_POOL_CLIPPED_DIVISOR_OPSET + " or later (AveragePool-19's divisor); --opset " + opset + " was asked");
            }
        }
        return a.toArray(AttributeProto[]::new);
    }

    /** True when the last window along H or W ends past the end padding (only ceil mode makes one). */
    private static boolean overhangs(Pool2dSpec s, Shape x) {
        long lastEndH = (long) (s.outH(x.dim(1)) - 1) * s.strideH() - s.padH() + s.kernelH();
        long lastEndW = (long) (s.outW(x.dim(2)) - 1) * s.strideW() - s.padW() + s.kernelW();
        return lastEndH > x.dim(1) + (long) s.padBottom() || lastEndW > x.dim(2) + (long) s.padRight();
    }

    /** The static per-sample target after the batch, which Reshape copies (shape dim 0 = 0, allowzero off). */
    private static String reshape(ExportBuilder b, Node n, String x, String nodeName, String out, Shape target) {
        long[] dims = new long[target.rank() + 1];
        for (int i = 0; i < target.rank(); i++) dims[i + 1] = target.dim(i);
        return b.node("Reshape", nodeName, List.of(x, b.int64s(n.name() + "/shape", dims)), out);
    }

    private static String arithmetic(ExportBuilder b, Node n, List<String> in, Function<String, String> param, String nodeName, String out) {
        String op = switch (n.op()) {
            case ADD -> "Add";
            case SUB -> "Sub";
            case MUL -> "Mul";
            default -> "Div";
        };
        if (in.size() == 2) return b.node(op, nodeName, in, out);
        String c = param.apply(n.paramName(ArithmeticOp.CONSTANT));
        return b.node(op, nodeName, n.flag(ArithmeticOp.CONSTANT_FIRST) ? List.of(c, in.get(0)) : List.of(in.get(0), c), out);
    }

    private static String reduceMean(ExportBuilder b, Node n, String x, String nodeName, String out) {
        int axis = n.intAttr("axis"), count = n.intAttr("count");
        long[] axes = new long[count];
        for (int i = 0; i < count; i++) axes[i] = axis + 1L + i;
        AttributeProto keep = integer("keepdims", n.flag("keepdims") ? 1 : 0);
        if (b.opset >= REDUCE_MEAN_AXES_INPUT_OPSET) return b.node("ReduceMean", nodeName, List.of(x, b.int64s(n.name() + "/axes", axes)), out, keep);
        return b.node("ReduceMean", nodeName, List.of(x), out, ints("axes", axes), keep);
    }

    /** Clip's bounds are optional inputs (opset 11+), each a scalar; an absent bound is left out (""). */
    private static String clip(ExportBuilder b, Node n, String x, String nodeName, String out) {
        double min = n.attr("min", Double.NEGATIVE_INFINITY), max = n.attr("max", Double.POSITIVE_INFINITY);
        List<String> ins = new ArrayList<>(List.of(x));
        ins.add(Double.isInfinite(min) ? "" : b.scalar(n.name() + "/min", (float) min));
        if (!Double.isInfinite(max)) ins.add(b.scalar(n.name() + "/max", (float) max));
        return b.node("Clip", nodeName, ins, out);
    }

    private static void requireOpset(ExportBuilder b, Node n, int needed, String onnxOp) {
        if (b.opset < needed) {
            throw new OnnxExportException("node " + n.name() + " (" + n.op() + ") needs ONNX opset " + needed + " or later (" + onnxOp + "); --opset "
                    + b.opset + " was asked");
        }
    }
}
