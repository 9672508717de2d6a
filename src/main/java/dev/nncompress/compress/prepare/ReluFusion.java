package dev.nncompress.compress.prepare;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.FusedRelu;

import java.util.ArrayList;
import java.util.List;

/**
 * Fuses a ReLU into the Conv2d or Linear it reads: the producer gets attr {@code relu=1} (see
 * {@link FusedRelu}), the ReLU node goes away and its readers (however many) read the producer. Exact
 * in inference and training alike. A ReLU is fused only when nothing else uses the producer's
 * pre-activation output (no other reader, not the graph output); other ReLUs are reported as skipped.
 */
public final class ReluFusion {
    private ReluFusion() {}

    public static PassResult apply(Graph graph) {
        GraphRewrite rw = new GraphRewrite(graph);
        List<Merge> fused = new ArrayList<>();
        List<Skip> skipped = new ArrayList<>();
        for (Node relu : graph.nodes()) {
            if (relu.op() != OpType.RELU) continue;
            String reason = whyNot(rw, relu);
            if (reason != null) {
                skipped.add(new Skip(relu.name(), reason));
                continue;
            }
            Merge m = new Merge(relu.inputs().get(0), relu.name());
            rw.merge(m);
            rw.setAttr(m.kept(), FusedRelu.ATTR, 1);
            fused.add(m);
        }
        return new PassResult(rw.build(), fused, skipped);
    }

    private static String whyNot(GraphRewrite rw, Node relu) {
        String in = relu.inputs().get(0);
        Node p = rw.producer(in);
        if (p == null) return "reads the graph input";
        if (p.op() != OpType.CONV2D && p.op() != OpType.LINEAR) return "reads " + in + " (" + p.op() + "), not a CONV2D or LINEAR";
        if (FusedRelu.on(p)) return in + " already applies a fused ReLU";
        if (rw.uses(in) > 1) {
            return in + " has other readers" + (rw.isOutput(in) ? " (it is the graph output)" : "")
                    + " that need its value before the ReLU";
        }
        return null;
    }
}
