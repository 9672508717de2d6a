package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Binary;
import dev.nncompress.backend.QTensor;
import dev.nncompress.backend.QWeight;
import dev.nncompress.backend.Unary;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.NodeStep;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Ops;
import dev.nncompress.graph.Value;
import dev.nncompress.graph.ops.ActivationOp;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.graph.ops.PoolOps;
import dev.nncompress.tensor.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Plans the int8 engine's steps for issue 17's ops as {@link Backend} int8 ops, where every input the node reads
 * and its output have activation parameters:
 * <ul>
 *   <li>RELU and the activations (CLIP, LEAKY_RELU, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH): {@code qunary};</li>
 *   <li>ADD, SUB, MUL, DIV of two activations (a residual add, a squeeze-excitation gate [C, 1, 1] x [C, H, W])
 *       or of an activation and the node's constant (either side): {@code qbinary}, {@code qbinaryConstant};</li>
 *   <li>CONCAT: {@code qconcat}; GLOBAL_AVGPOOL: {@code qglobalAvgPool}; RESHAPE: {@code qreshape}; MAXPOOL2D of
 *       the forms the kernels' max-pool does not take (ceil mode, end padding): {@code qmaxPool2d};</li>
 *   <li>a depthwise CONV2D with an int8 weight: {@code qconv2d} on a weight prepared with its groups.</li>
 * </ul>
 * Anything else (and these ops where an input or the output is float) is not planned here: the runner runs it
 * as its float op.
 */
final class Int8Steps {
    private Int8Steps() {}

    /** An int8 step's computation: codes from the node's input values (codes, in the node's input order) on the pass's backend. */
    @FunctionalInterface
    interface OnCodes {
        QTensor run(List<Value> in, Backend b);
    }

    /** {@code f} as the node's step in {@link dev.nncompress.graph.GraphRunner}: its result is the node's value. */
    static NodeStep codes(OnCodes f) { return (node, in, ctx) -> Value.of(f.run(in, ctx.backend())); }

    static QParams params(QParams q) { return QParams.perTensor(q.scale(0), q.zeroPoint(0)); }

    /** The node's int8 step on {@code backend}, or null when it runs in float. {@code shapes}: every tensor's sample shape. */
    static NodeStep plan(Node n, Int8Model model, Map<String, Shape> shapes, Backend backend) {
        Map<String, QParams> acts = model.activations();
        QParams qo = acts.get(n.name());
        if (qo == null) return null;
        for (String in : n.inputs()) if (!acts.containsKey(in)) return null;
        QParams out = params(qo);
        Shape outShape = shapes.get(n.name());
        String in0 = n.inputs().get(0);
        if (n.inputs().size() == 1 && n.op() == OpType.RELU) return codes((in, b) -> b.qunary(Unary.CLIP, in.get(0).codes(), 0f, Float.POSITIVE_INFINITY, out));
        Unary act = ActivationOp.kindOf(n.op());
        if (n.inputs().size() == 1 && act != null) {
            float[] p = ((ActivationOp) Ops.of(n.op())).params(n);
            return codes((in, b) -> b.qunary(act, in.get(0).codes(), p[0], p[1], out));
        }
        Binary kind = ArithmeticOp.kindOf(n.op());
        if (kind != null && n.inputs().size() == 2) {
            String in1 = n.inputs().get(1);
            return codes((in, b) -> b.qbinary(kind, in.get(0).codes(), in.get(1).codes(), out));
        }
        FloatParam constant = model.floats().get(n.paramName(ArithmeticOp.CONSTANT));
        if (kind != null && n.inputs().size() == 1 && constant != null) { // x op c, or c op x with constant_first
            boolean first = n.flag(ArithmeticOp.CONSTANT_FIRST);
            return codes((in, b) -> b.qbinaryConstant(kind, in.get(0).codes(), constant.values(), constant.shape(), first, out));
        }
        if (n.op() == OpType.CONCAT) {
            int axis = n.intAttr("axis") + 1;
            return codes((in, b) -> {
                List<QTensor> parts = new ArrayList<>();
                for (Value v : in) parts.add(v.codes());
                return b.qconcat(parts, axis, out);
            });
        }
        if (n.op() == OpType.GLOBAL_AVGPOOL) return codes((in, b) -> b.qglobalAvgPool(in.get(0).codes(), out));
        if (n.op() == OpType.MAXPOOL2D) { // forms the kernels' max-pool does not take; the output keeps the input's parameters
            var spec = PoolOps.spec(n);
            return codes((in, b) -> b.qmaxPool2d(in.get(0).codes(), spec));
        }
        if (n.op() == OpType.RESHAPE) {
            return codes((in, b) -> {
                QTensor x = in.get(0).codes();
                return b.qreshape(x, GraphPredictor.batchShape(outShape, x.shape().dim(0)), out);
            });
        }
        QuantizedWeight w = model.weights().get(n.name());
        if (w != null && Int8Forms.depthwise(n, w.shape())) {
            var spec = Conv2dOp.spec(n);
            QWeight qw = backend.prepareQWeight(w.codes(), w.shape(), w.scales(), spec.groups());
            float[] bias = onGrid(model, n, acts.get(in0), w);
            boolean relu = FusedRelu.on(n);
            return codes((in, b) -> b.qconv2d(in.get(0).codes(), qw, bias, spec, relu, out));
        }
        return null;
    }

    /** The node's float bias on its int32 grid ({@link Int32Bias}: what QLinearConv/QGemm add, issue 18), or null. */
    static float[] onGrid(Int8Model model, Node n, QParams in, QuantizedWeight w) {
        FloatParam bias = model.floats().get(n.paramName("bias"));
        return bias == null ? null : Int32Bias.onGrid(bias.values(), dev.nncompress.backend.GemmS8Epilogue.combinedScales(in.scale(0), w.scales()));
    }
}
