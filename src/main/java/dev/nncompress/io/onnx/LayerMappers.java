package dev.nncompress.io.onnx;

import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.io.onnx.Value.Activation;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.tensor.Shape;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The image-shaped ONNX ops, each onto one of ours: Conv -> CONV2D (any group count, depthwise included,
 * dilation, asymmetric padding, auto_pad), MaxPool/AveragePool -> the pools (windows read by
 * {@link PoolWindow}), GlobalAveragePool, BatchNormalization (inference form) -> BATCHNORM2D, Relu -> RELU.
 * What ours cannot express yet (dilated pools, BatchNorm in training mode) is refused by name.
 */
final class LayerMappers {
    private LayerMappers() {}

    static Activation conv(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, Attrs.of("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"));
        Activation x = Inputs.activation(in, 0, where, "X", 3);
        Const w = Inputs.weight(in, 1, where, "W", 4);
        Const b = in.size() > 2 ? Inputs.optionalWeight(in, 2, where, "B", 1) : null;
        long group = a.integer("group", 1);
        Shape s = ctx.shape(x);
        if (group < 1 || group > Conv2dOp.MAX_GROUPS || s.dim(0) % group != 0 || w.dims()[0] % group != 0) {
            throw new IllegalArgumentException(where + " has group " + group + ", which does not divide its " + s.dim(0) + " input and "
                    + w.dims()[0] + " output channels");
        }
        if ((long) w.dims()[1] * group != s.dim(0)) {
            throw new IllegalArgumentException(where + ": weight " + Inputs.name(w) + " has shape " + java.util.Arrays.toString(w.dims())
                    + ", which does not fit " + s.dim(0) + " input channels" + (group > 1 ? " in " + group + " groups" : ""));
        }
        if (b != null && b.dims()[0] != w.dims()[0]) {
            throw new IllegalArgumentException(where + ": bias " + Inputs.name(b) + " has " + b.dims()[0] + " values for " + w.dims()[0] + " output channels");
        }
        Window win = Window.conv(a, where, s.dim(1), s.dim(2), new int[] {w.dims()[2], w.dims()[3]});
        Map<String, Const> params = new LinkedHashMap<>();
        params.put("weight", w);
        if (b != null) params.put("bias", b);
        String name = ctx.nodeName(w.source(), n.getName(), n.getOpType());
        return ctx.add(name, OpType.CONV2D, List.of(x), Conv2dOp.attrs(win.convSpec((int) group)), params, n.getName(), n.getOutput(0));
    }

    /** MaxPool / AveragePool with every window option ours take ({@link PoolWindow}); MaxPool's indices output must be unused. */
    static Activation pool(NodeProto n, String where, List<Value> in, ImportContext ctx, boolean max) {
        Attrs a = new Attrs(n, where, PoolWindow.names(max));
        Activation x = Inputs.activation(in, 0, where, "X", 3);
        Shape s = ctx.shape(x);
        Map<String, Double> attrs = PoolWindow.read(a, where, s.dim(1), s.dim(2), max);
        String name = ctx.nodeName(null, n.getName(), n.getOpType());
        return ctx.add(name, max ? OpType.MAXPOOL2D : OpType.AVGPOOL2D, List.of(x), attrs, Map.of(), n.getName(), n.getOutput(0));
    }

    static Activation globalAvgPool(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        new Attrs(n, where, Attrs.of());
        Activation x = Inputs.activation(in, 0, where, "X", 3);
        return ctx.add(ctx.nodeName(null, n.getName(), n.getOpType()), OpType.GLOBAL_AVGPOOL, List.of(x), Map.of(), Map.of(), n.getName(), n.getOutput(0));
    }

    static Activation relu(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        new Attrs(n, where, Attrs.of());
        Activation x = Inputs.activation(in, 0, where, "X", -1);
        return ctx.add(ctx.nodeName(null, n.getName(), n.getOpType()), OpType.RELU, List.of(x), Map.of(), Map.of(), n.getName(), n.getOutput(0));
    }

    /**
     * BatchNormalization in inference form: y = scale (x - mean) / sqrt(var + epsilon) + B. ONNX's momentum
     * weighs the old running value (default 0.9), PyTorch's and ours the new one, so ours is 1 - momentum.
     */
    static Activation batchNorm(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, Attrs.of("epsilon", "momentum", "training_mode"));
        if (a.integer("training_mode", 0) != 0) {
            throw new IllegalArgumentException(where + " has training_mode 1; export the model in eval mode (model.eval())");
        }
        Activation x = Inputs.activation(in, 0, where, "X", 3);
        int c = ctx.shape(x).dim(0);
        String[] roles = {"scale", "B", "input_mean", "input_var"};
        String[] suffixes = {"weight", "bias", "running_mean", "running_var"};
        Map<String, Const> params = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            Const p = Inputs.weight(in, i + 1, where, roles[i], 1);
            if (p.dims()[0] != c) throw new IllegalArgumentException(where + ": " + roles[i] + " " + Inputs.name(p) + " has " + p.dims()[0] + " values for " + c + " channels");
            params.put(suffixes[i], p);
        }
        for (float v : params.get("running_var").floats()) {
            if (v < 0) throw new IllegalArgumentException(where + ": input_var " + Inputs.name(params.get("running_var")) + " holds a negative variance " + v);
        }
        double eps = a.real("epsilon", 1e-5f);
        double momentum = a.real("momentum", 0.9f);
        if (!(eps > 0 && eps <= 1)) throw new IllegalArgumentException(where + ": epsilon " + eps + " is not in (0, 1]");
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException(where + ": momentum " + momentum + " is not in [0, 1]");
        Map<String, Double> attrs = Map.of("eps", eps, "momentum", 1 - momentum);
        String name = ctx.nodeName(params.get("weight").source(), n.getName(), n.getOpType());
        return ctx.add(name, OpType.BATCHNORM2D, List.of(x), attrs, params, n.getName(), n.getOutput(0));
    }
}
