package dev.nncompress.graph;

import java.util.HashMap;
import java.util.Map;

/**
 * Which ReLU -> max-pool pairs a training pass runs as one backend call each way ({@code Backend.reluMaxPool2d} and its
 * backward; issue 23): on the small CNNs a step is bound by per-op overhead, and a pair unfused is four calls, two of
 * them full-size passes with a full-size allocation (ReLU forward and backward), where fused it is two, the pool's
 * backward writing the conv's input gradient directly with ReLU's mask applied. The same values bit for bit.
 *
 * <p>A pair is taken where the pool reads only the ReLU, the ReLU has no other reader and is not the graph's output. The
 * runner uses it only on a pass without an output hook (QAT's fake quantisation must see the ReLU's output); the ReLU's
 * output is made after all, and the pair runs unfused backward, when a caller asks for it ({@code GraphRunner.output},
 * e.g. a distillation feature) or a gradient hook might look at it. Decided from the graph's structure per pass.
 */
final class TrainingFusion {
    static final TrainingFusion NONE = new TrainingFusion(Map.of(), Map.of());

    private final Map<String, Node> reluOfPool;
    private final Map<String, Node> poolOfRelu;

    private TrainingFusion(Map<String, Node> reluOfPool, Map<String, Node> poolOfRelu) {
        this.reluOfPool = reluOfPool;
        this.poolOfRelu = poolOfRelu;
    }

    static TrainingFusion plan(Graph g) {
        Map<String, Integer> readers = new HashMap<>();
        Map<String, Node> byName = new HashMap<>();
        for (Node n : g.nodes()) {
            byName.put(n.name(), n);
            for (String in : n.inputs()) readers.merge(in, 1, Integer::sum);
        }
        Map<String, Node> reluOfPool = new HashMap<>();
        Map<String, Node> poolOfRelu = new HashMap<>();
        for (Node pool : g.nodes()) {
            if (pool.op() != OpType.MAXPOOL2D || pool.inputs().size() != 1) continue;
            Node relu = byName.get(pool.inputs().get(0));
            if (relu == null || relu.op() != OpType.RELU || relu.inputs().size() != 1 || readers.get(relu.name()) != 1
                    || relu.name().equals(g.output())) continue;
            reluOfPool.put(pool.name(), relu);
            poolOfRelu.put(relu.name(), pool);
        }
        return reluOfPool.isEmpty() ? NONE : new TrainingFusion(reluOfPool, poolOfRelu);
    }

    /** The fused ReLU that pool node {@code n} reads, or null when {@code n} is not the pool of a pair. */
    Node reluOf(Node n) { return reluOfPool.get(n.name()); }

    /** Whether {@code n} is the ReLU of a pair (its forward runs inside its pool's). */
    boolean skips(Node n) { return poolOfRelu.containsKey(n.name()); }

    /** The pool of ReLU {@code relu}'s pair, or null. */
    Node poolOf(String relu) { return poolOfRelu.get(relu); }

    boolean isEmpty() { return reluOfPool.isEmpty(); }
}
