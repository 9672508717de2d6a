package dev.nncompress.compress.prune;

import dev.nncompress.graph.Graph;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Weight magnitude |w| (the L1 criterion). Per element, L2 (w^2) orders weights exactly as |w| does (squaring
 * is monotonic on |w|), so for unstructured pruning both give the same masks and only L1 is offered; they
 * differ only when summed over groups (structured pruning).
 */
public final class MagnitudeCriterion implements ImportanceCriterion {
    @Override public String name() { return "magnitude"; }

    @Override
    public Map<String, float[]> scores(Graph graph, PruneTargets targets) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String w : targets.weights()) {
            float[] v = graph.param(w).value().toFloatArray();
            for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
            out.put(w, v);
        }
        return out;
    }
}
