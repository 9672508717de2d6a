package dev.nncompress.int8;

import dev.nncompress.backend.Binary;
import dev.nncompress.backend.Unary;
import dev.nncompress.backend.ref.RefActivations;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Ops;
import dev.nncompress.graph.ops.ActivationOp;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.tensor.Shape;

import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Plans the int8 engine's steps for issue 17's ops on codes ({@link CodeOps}, {@link Int8Depthwise}), where every
 * input the node reads and its output have activation parameters:
 * <ul>
 *   <li>RELU and the activations (CLIP, LEAKY_RELU, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH): a 256-entry table;</li>
 *   <li>ADD, SUB, MUL, DIV of two activations (a residual add, a squeeze-excitation gate [C, 1, 1] x [C, H, W])
 *       or of an activation and the node's constant (either side): per element in float, requantised to the
 *       output's scale;</li>
 *   <li>CONCAT: each input requantised to the output's one scale;</li>
 *   <li>GLOBAL_AVGPOOL: int32 sums per channel; RESHAPE: the codes in NCHW order, requantised; MAXPOOL2D of the
 *       forms the kernels' max-pool does not take (ceil mode, end padding), on the codes;</li>
 *   <li>a depthwise CONV2D with an int8 weight: {@link Int8Depthwise}.</li>
 * </ul>
 * Anything else (and these ops where an input or the output is float) is not planned here: the runner runs it
 * as its float op.
 */
final class Int8Steps {
    private Int8Steps() {}

    /** One node's step on codes; {@code out.apply(len)} gives the call's output code array of that length. */
    interface CodeStep {
        Activation run(Map<String, Activation> values, IntFunction<byte[]> out);
    }

    /** The node's int8 step, or null when it runs in float. {@code shapes}: every tensor's sample shape. */
    static CodeStep plan(Node n, Int8Model model, Map<String, Shape> shapes) {
        Map<String, QParams> acts = model.activations();
        QParams qout = acts.get(n.name());
        if (qout == null) return null;
        for (String in : n.inputs()) if (!acts.containsKey(in)) return null;
        Shape outShape = shapes.get(n.name());
        float os = qout.scale(0);
        int oz = qout.zeroPoint(0);
        if (n.inputs().size() == 1 && (n.op() == OpType.RELU || ActivationOp.kindOf(n.op()) != null)) {
            QParams qin = acts.get(n.inputs().get(0));
            byte[] table = CodeOps.table(qin.scale(0), qin.zeroPoint(0), function(n), os, oz);
            return (v, out) -> {
                Activation.Codes x = (Activation.Codes) v.get(n.inputs().get(0));
                byte[] y = out.apply(x.data().length);
                CodeOps.lookup(x.data(), table, x.n(), outShape.numel(), y);
                return new Activation.Codes(y, x.n(), outShape, os, oz);
            };
        }
        Binary kind = ArithmeticOp.kindOf(n.op());
        if (kind != null && n.inputs().size() == 2) {
            QParams qa = acts.get(n.inputs().get(0)), qb = acts.get(n.inputs().get(1));
            byte[] pairs = CodeOps.pairTable(kind, qa.scale(0), qa.zeroPoint(0), qb.scale(0), qb.zeroPoint(0), os, oz);
            return (v, out) -> {
                Activation.Codes a = (Activation.Codes) v.get(n.inputs().get(0)), b = (Activation.Codes) v.get(n.inputs().get(1));
                byte[] y = out.apply(Math.multiplyExact(a.n(), outShape.numel()));
                CodeOps.binary(kind, operand(a), operand(b), os, oz, pairs, y);
                return new Activation.Codes(y, a.n(), outShape, os, oz);
            };
        }
        FloatParam constant = model.floats().get(n.paramName(ArithmeticOp.CONSTANT));
        if (kind != null && n.inputs().size() == 1 && constant != null) { // x op c, or c op x with constant_first
            CodeOps.Operand c = CodeOps.constant(constant.values(), constant.shape(), shapes.get(n.inputs().get(0)));
            boolean first = n.flag(ArithmeticOp.CONSTANT_FIRST);
            return (v, out) -> {
                Activation.Codes x = (Activation.Codes) v.get(n.inputs().get(0));
                byte[] y = out.apply(Math.multiplyExact(x.n(), outShape.numel()));
                CodeOps.binary(kind, first ? c : operand(x), first ? operand(x) : c, os, oz, y);
                return new Activation.Codes(y, x.n(), outShape, os, oz);
            };
        }
        if (n.op() == OpType.CONCAT) {
            List<String> ins = n.inputs();
            byte[][] tables = new byte[ins.size()][];
            for (int i = 0; i < tables.length; i++) {
                QParams q = acts.get(ins.get(i));
                // an input already at the output's parameters is copied; the others are requantised through a table
                if (q.scale(0) != os || q.zeroPoint(0) != oz) tables[i] = CodeOps.requantTable(q.scale(0), q.zeroPoint(0), os, oz);
            }
            int axis = CodeOps.storageAxis(n.intAttr("axis"), outShape.rank());
            return (v, out) -> {
                byte[][] parts = new byte[ins.size()][];
                Shape[] storage = new Shape[ins.size()];
                int batch = v.get(ins.get(0)).n();
                for (int i = 0; i < parts.length; i++) {
                    Activation.Codes c = (Activation.Codes) v.get(ins.get(i));
                    parts[i] = c.data();
                    storage[i] = CodeOps.storageShape(c.n(), c.sample());
                }
                byte[] y = out.apply(Math.multiplyExact(batch, outShape.numel()));
                CodeOps.concat(parts, storage, tables, axis, y);
                return new Activation.Codes(y, batch, outShape, os, oz);
            };
        }
        if (n.op() == OpType.GLOBAL_AVGPOOL) {
            String in = n.inputs().get(0);
            Shape inShape = shapes.get(in);
            int c = inShape.dim(0), hw = inShape.dim(1) * inShape.dim(2);
            return (v, out) -> {
                Activation.Codes x = (Activation.Codes) v.get(in);
                byte[] y = out.apply(Math.multiplyExact(x.n(), c));
                CodeOps.globalAvgPool(x.data(), x.n(), hw, c, x.scale(), x.zeroPoint(), os, oz, y);
                return new Activation.Codes(y, x.n(), outShape, os, oz);
            };
        }
        if (n.op() == OpType.MAXPOOL2D) { // forms the kernels' max-pool does not take (ceil mode, end padding); an alias of its input
            String in = n.inputs().get(0);
            Shape inShape = shapes.get(in);
            dev.nncompress.backend.Pool2dSpec spec = dev.nncompress.graph.ops.PoolOps.spec(n);
            return (v, out) -> {
                Activation.Codes x = (Activation.Codes) v.get(in);
                byte[] y = out.apply(Math.multiplyExact(x.n(), outShape.numel()));
                CodeOps.maxPool(x.data(), x.n(), inShape.dim(1), inShape.dim(2), inShape.dim(0), spec, outShape.dim(1), outShape.dim(2), y);
                return new Activation.Codes(y, x.n(), outShape, x.scale(), x.zeroPoint());
            };
        }
        if (n.op() == OpType.RESHAPE) { // NCHW order is what a reshape keeps: NHWC codes go through it and back
            String in = n.inputs().get(0);
            Shape inShape = shapes.get(in);
            QParams qin = acts.get(in);
            byte[] table = qin.scale(0) == os && qin.zeroPoint(0) == oz ? null : CodeOps.requantTable(qin.scale(0), qin.zeroPoint(0), os, oz);
            return (v, out) -> {
                Activation.Codes x = (Activation.Codes) v.get(in);
                byte[] d = x.data();
                if (CodeOps.transposed(inShape)) d = CodeOps.transpose(d, x.n(), inShape.dim(1) * inShape.dim(2), inShape.dim(0));
                if (CodeOps.transposed(outShape)) d = CodeOps.transpose(d, x.n(), outShape.dim(0), outShape.dim(1) * outShape.dim(2));
                byte[] y = out.apply(d.length);
                if (table != null) CodeOps.lookup(d, table, x.n(), outShape.numel(), y);
                else System.arraycopy(d, 0, y, 0, d.length);
                return new Activation.Codes(y, x.n(), outShape, os, oz);
            };
        }
        QuantizedWeight w = model.weights().get(n.name());
        if (w != null && Int8Depthwise.accepts(n, w.shape())) {
            String in = n.inputs().get(0);
            Shape inShape = shapes.get(in);
            FloatParam bias = model.floats().get(n.paramName("bias"));
            Int8Depthwise dw = new Int8Depthwise(w, Conv2dOp.spec(n), acts.get(in).scale(0), bias == null ? null : bias.values(), FusedRelu.on(n));
            return (v, out) -> {
                Activation.Codes x = (Activation.Codes) v.get(in);
                byte[] y = out.apply(Math.multiplyExact(x.n(), outShape.numel()));
                dw.run(x.data(), x.n(), inShape.dim(1), inShape.dim(2), x.zeroPoint(), outShape.dim(1), outShape.dim(2), os, oz, y);
                return new Activation.Codes(y, x.n(), outShape, os, oz);
            };
        }
        return null;
    }

    private static CodeOps.Operand operand(Activation.Codes c) {
        return CodeOps.Operand.codes(CodeOps.storageShape(c.n(), c.sample()), c.data(), c.scale(), c.zeroPoint());
    }

    /** The float function a RELU or activation node computes, as the backends do (RefActivations; ReLU: max(x, 0)). */
    private static CodeOps.FloatFunction function(Node n) {
        if (n.op() == OpType.RELU) return x -> Math.max(x, 0f);
        Unary kind = ActivationOp.kindOf(n.op());
        float[] p = ((ActivationOp) Ops.of(n.op())).params(n);
        return x -> RefActivations.forward(kind, x, p[0], p[1]);
    }
}
