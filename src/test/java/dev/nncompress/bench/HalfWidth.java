package dev.nncompress.bench;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The same network at half width, as uniform 50% structured pruning would leave it: every hidden channel
 * space keeps its channels 0..C/2-1 (the graph input's channels and the classifier's outputs stay), stepping
 * through the graph the way channel surgery does: a conv keeps the first half of its filters and, of each
 * filter, the kept input channels; a depthwise conv (groups = C) keeps the kept channels' filters and gets
 * groups = C/2; batch norm, elementwise ops and pooling follow their input; a linear layer's inputs follow
 * the flattened channels (one value per channel after global pooling, the only case this proxy needs).
 * Residual adds stay consistent because both sides keep the same first half. A benchmark proxy for a pruned
 * model (issue 17's speed target), not a pruner: which channels stay does not change the speed.
 */
public final class HalfWidth {
    private HalfWidth() {}

    public static Graph of(Graph g) {
        Backend b = Backend.of(g.params().values().iterator().next().value());
        Map<String, Integer> full = new HashMap<>(), kept = new HashMap<>();
        full.put(Graph.INPUT, g.inputShape().dim(0));
        kept.put(Graph.INPUT, g.inputShape().dim(0));
        Map<String, Shape> shapes = g.inferShapes();
        Map<String, Parameter> params = new LinkedHashMap<>();
        List<Node> nodes = new java.util.ArrayList<>();
        for (Node n : g.nodes()) {
            String in = n.inputs().isEmpty() ? null : n.inputs().get(0);
            int cin = in == null ? 0 : kept.get(in), cinFull = in == null ? 0 : full.get(in);
            Map<String, Double> attrs = new LinkedHashMap<>(n.attrs());
            int out;
            switch (n.op()) {
                case CONV2D -> {
                    Tensor w = g.param(n.paramName("weight")).value();
                    int o = w.shape().dim(0), groups = (int) n.attr("groups", 1);
                    boolean depthwise = groups > 1 && groups == cinFull;
                    if (groups > 1 && !depthwise) throw new IllegalArgumentException(n.name() + ": grouped (not depthwise) conv");
                    int mult = o / Math.max(1, groups);
                    out = depthwise ? cin * mult : o / 2;
                    if (depthwise) attrs.put("groups", (double) cin);
                    int perFilterIn = depthwise ? 1 : cin;
                    params.put(n.paramName("weight"), slice(b, g.param(n.paramName("weight")), out, perFilterIn));
                    if (g.params().containsKey(n.paramName("bias"))) params.put(n.paramName("bias"), slice(b, g.param(n.paramName("bias")), out, -1));
                }
                case LINEAR -> {
                    Tensor w = g.param(n.paramName("weight")).value();
                    boolean last = n.name().equals(g.output()) || w.shape().dim(0) <= 10;
                    out = last ? w.shape().dim(0) : w.shape().dim(0) / 2;
                    if (shapes.get(in).rank() != 1 || w.shape().dim(1) != cinFull) {
                        throw new IllegalArgumentException(n.name() + ": linear input must be one value per channel");
                    }
                    params.put(n.paramName("weight"), slice(b, g.param(n.paramName("weight")), out, cin));
                    if (g.params().containsKey(n.paramName("bias"))) params.put(n.paramName("bias"), slice(b, g.param(n.paramName("bias")), out, -1));
                }
                case BATCHNORM2D -> {
                    out = cin;
                    for (Map.Entry<String, Parameter> e : g.params().entrySet()) {
                        if (e.getKey().startsWith(n.name() + ".")) params.put(e.getKey(), slice(b, e.getValue(), cin, -1));
                    }
                }
                case ADD, RELU, CLIP, GLOBAL_AVGPOOL, FLATTEN, MAXPOOL2D, AVGPOOL2D, DROPOUT, HARD_SWISH, HARD_SIGMOID, SIGMOID -> {
                    for (String other : n.inputs()) {
                        if (!kept.get(other).equals(cin)) throw new IllegalArgumentException(n.name() + ": inputs of different widths");
                    }
                    if (n.op() == OpType.FLATTEN && shapes.get(in).numel() != cinFull) {
                        throw new IllegalArgumentException(n.name() + ": flatten of more than one value per channel");
                    }
                    out = cin;
                }
                default -> throw new IllegalArgumentException(n.name() + ": op " + n.op() + " not handled by the half-width proxy");
            }
            full.put(n.name(), shapes.get(n.name()).dim(0));
            kept.put(n.name(), out);
            nodes.add(new Node(n.name(), n.op(), n.inputs(), attrs));
        }
        return new Graph(g.name() + "-half", g.inputShape(), nodes, g.output(), params);
    }

    /** The first {@code rows} slices of dim 0 and, when {@code cols >= 0}, the first {@code cols} of dim 1. */
    private static Parameter slice(Backend b, Parameter p, int rows, int cols) {
        Shape s = p.value().shape();
        float[] v = p.value().toFloatArray();
        int[] d = s.dims().clone();
        int inner = s.numel() / (d[0] * (d.length > 1 ? d[1] : 1));
        int c1 = d.length > 1 ? d[1] : 1, keepC = cols >= 0 ? cols : c1;
        d[0] = rows;
        if (d.length > 1) d[1] = keepC;
        float[] o = new float[rows * keepC * inner];
        for (int r = 0; r < rows; r++) System.arraycopy(v, r * c1 * inner, o, r * keepC * inner, keepC * inner);
        return new Parameter(p.name(), b.fromFloats(o, Shape.of(d)), p.trainable());
    }
}
