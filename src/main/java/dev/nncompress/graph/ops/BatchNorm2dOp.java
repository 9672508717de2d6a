package dev.nncompress.graph.ops;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BatchNormGrads;
import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/**
 * Batch norm over (N, H, W) per channel, as PyTorch's BatchNorm2d: params {@code weight}, {@code bias},
 * buffers {@code running_mean}, {@code running_var}; attrs {@code eps}, {@code momentum}. Training
 * normalises with the batch's biased variance and moves the running variance towards the unbiased one.
 */
public final class BatchNorm2dOp implements Op {
    private static final List<AttrSpec> ATTRS = List.of(AttrSpec.real("eps", 0, true, 1, false, 1e-5),
            AttrSpec.real("momentum", 0, false, 1, false, 0.1));

    @Override public List<AttrSpec> attributes() { return ATTRS; }

    /** The epsilon added to the variance (PyTorch's default when the attr is absent). */
    public static double eps(Node n) { return n.attr("eps", 1e-5); }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) {
        Shape x = OpChecks.single(n, in, 3);
        for (String p : List.of("weight", "bias", "running_mean", "running_var")) OpChecks.vector(g, n.paramName(p), x.dim(0));
        return x;
    }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        Backend b = ctx.backend();
        Tensor x = in.get(0);
        float eps = (float) eps(n);
        Tensor gamma = ctx.param(n, "weight").value();
        Tensor beta = ctx.param(n, "bias").value();
        Parameter runMean = ctx.param(n, "running_mean");
        Parameter runVar = ctx.param(n, "running_var");
        if (!ctx.training()) return b.batchNormInference(x, gamma, beta, runMean.value(), runVar.value(), eps);

        float m = (float) n.attr("momentum", 0.1);
        BatchNormResult r = b.batchNormTrain(x, gamma, beta, eps, m, runMean.value(), runVar.value());
        ctx.track(r.mean());
        ctx.track(r.variance());
        ctx.track(r.invStd());
        ctx.save(n, x, r.mean(), r.invStd());
        return r.output();
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        Object[] s = ctx.saved(n);
        BatchNormGrads g = ctx.backend().batchNormBackward((Tensor) s[0], ctx.param(n, "weight").value(), (Tensor) s[1],
                (Tensor) s[2], gradOut);
        ctx.param(n, "weight").accumulateGrad(g.gamma());
        ctx.param(n, "bias").accumulateGrad(g.beta());
        return List.of(g.input());
    }
}
