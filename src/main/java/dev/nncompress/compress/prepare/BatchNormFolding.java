package dev.nncompress.compress.prepare;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.BatchNorm2dOp;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Folds an inference-mode BatchNorm2d into the Conv2d it reads: with s = gamma / sqrt(running_var + eps)
 * per output channel, W' = W * s and b' = (b - running_mean) * s + beta (b = 0 when the conv had no
 * bias), so conv'(x) = BN(conv(x)) using the running statistics. The BN node goes away and its readers
 * read the conv. Only valid for inference: the folded graph no longer normalises with batch statistics.
 *
 * <p>A BN is folded only when it reads a conv whose output nothing else uses (neither another node nor
 * the graph output) and that applies no fused ReLU; any other BN is reported as skipped.
 */
public final class BatchNormFolding {
    private BatchNormFolding() {}

    public static PassResult apply(Graph graph) {
        GraphRewrite rw = new GraphRewrite(graph);
        List<Merge> folded = new ArrayList<>();
        List<Skip> skipped = new ArrayList<>();
        for (Node bn : graph.nodes()) {
            if (bn.op() != OpType.BATCHNORM2D) continue;
            String reason = whyNot(rw, bn);
            if (reason == null) reason = fold(rw, rw.producer(bn.inputs().get(0)), bn);
            if (reason != null) {
                skipped.add(new Skip(bn.name(), reason));
            } else {
                Merge m = new Merge(bn.inputs().get(0), bn.name());
                rw.merge(m);
                folded.add(m);
            }
        }
        return new PassResult(rw.build(), folded, skipped);
    }

    /** Null when {@code bn} can be folded, else why not. */
    private static String whyNot(GraphRewrite rw, Node bn) {
        String in = bn.inputs().get(0);
        Node conv = rw.producer(in);
        if (conv == null) return "reads the graph input, not a conv";
        if (conv.op() != OpType.CONV2D) return "reads " + in + " (" + conv.op() + "), not a CONV2D";
        if (FusedRelu.on(conv)) return "conv " + in + " applies a fused ReLU before the batch norm";
        if (rw.uses(in) > 1) {
            return "conv " + in + " has other readers" + (rw.isOutput(in) ? " (it is the graph output)" : "")
                    + ": folding would change what they see";
        }
        return null;
    }

    /** Records the folded weight and bias in {@code rw}; returns null, or why the statistics cannot be folded. */
    private static String fold(GraphRewrite rw, Node conv, Node bn) {
        Graph g = rw.source();
        Tensor weight = g.param(conv.paramName("weight")).value();
        float[] w = weight.toFloatArray();
        int outCh = weight.shape().dim(0);
        int perCh = w.length / outCh;
        float[] gamma = g.param(bn.paramName("weight")).value().toFloatArray();
        float[] beta = g.param(bn.paramName("bias")).value().toFloatArray();
        float[] mean = g.param(bn.paramName("running_mean")).value().toFloatArray();
        float[] var = g.param(bn.paramName("running_var")).value().toFloatArray();
        String biasName = conv.paramName("bias");
        boolean hasBias = g.params().containsKey(biasName);
        float[] b = hasBias ? g.param(biasName).value().toFloatArray() : new float[outCh];
        double eps = BatchNorm2dOp.eps(bn);

        float[] w2 = new float[w.length];
        float[] b2 = new float[outCh];
        for (int o = 0; o < outCh; o++) {
            double denom = (double) var[o] + eps;
            if (!(denom > 0)) return "running_var + eps = " + denom + " at channel " + o + " is not positive";
            // double throughout: one rounding to float per stored value, not one per operation
            double s = gamma[o] / Math.sqrt(denom);
            for (int i = o * perCh; i < (o + 1) * perCh; i++) w2[i] = (float) (w[i] * s);
            b2[o] = (float) (((double) b[o] - mean[o]) * s + beta[o]);
        }
        rw.replaceParam(conv.paramName("weight"), w2);
        if (hasBias) rw.replaceParam(biasName, b2);
        else rw.addParam(biasName, b2, Shape.of(outCh), Backend.of(weight));
        return null;
    }
}
