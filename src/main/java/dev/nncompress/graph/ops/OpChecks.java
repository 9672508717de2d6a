package dev.nncompress.graph.ops;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.tensor.Shape;

import java.util.List;

/** Shape checks shared by the ops, with messages that name what does not fit. */
final class OpChecks {
    private OpChecks() {}

    static Shape single(Node n, List<Shape> in, int rank) {
        if (in.size() != 1) throw new IllegalArgumentException(n.op() + " takes 1 input, got " + in.size());
        Shape x = in.get(0);
        if (rank >= 0 && x.rank() != rank) {
            throw new IllegalArgumentException(n.op() + " expects a rank-" + rank + " input per sample, got " + x);
        }
        return x;
    }

    /** A padding smaller than the window it pads, e.g. pad_w 2 for a 3-wide kernel. */
    static void padBelowKernel(String attr, int pad, String extent, int k) {
        if (pad >= k) throw new IllegalArgumentException("attribute " + attr + " = " + pad + " must be smaller than the " + extent + " " + k);
    }

    static void vector(Graph g, String param, int length) {
        Shape s = g.param(param).value().shape();
        if (s.rank() != 1 || s.dim(0) != length) {
            throw new IllegalArgumentException("parameter " + param + " has shape " + s + ", expected [" + length + "]");
        }
    }

    /** The dims of a per-sample shape as "C, H, W", for messages that show the batched shape as "[N, C, H, W]". */
    static String dims(Shape s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.rank(); i++) b.append(i == 0 ? "" : ", ").append(s.dim(i));
        return b.toString();
    }
}
