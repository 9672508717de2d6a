package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Which elements of each pruned weight survive (true = kept), keyed by weight parameter name. */
public final class PruneMasks {
    private final Map<String, boolean[]> keep;

    public PruneMasks(Map<String, boolean[]> keep) {
        Map<String, boolean[]> copy = new LinkedHashMap<>();
        keep.forEach((k, v) -> copy.put(k, v.clone()));
        this.keep = Collections.unmodifiableMap(copy);
    }

    /**
     * The masks an unstructured-pruned model carries in its values: every exact +-0.0 of the target weights is
     * pruned. Fine-tuning a pruned file (e.g. distilling it from its unpruned self) holds these with
     * {@link MaskingStepHook}, so the sparsity the file was saved with survives.
     */
    public static PruneMasks ofZeros(Graph graph, PruneTargets targets) {
        Map<String, boolean[]> keep = new LinkedHashMap<>();
        for (String w : targets.weights()) {
            float[] v = graph.param(w).value().toFloatArray();
            boolean[] k = new boolean[v.length];
            for (int i = 0; i < v.length; i++) k[i] = v[i] != 0f;
            keep.put(w, k);
        }
        return new PruneMasks(keep);
    }

    public Map<String, boolean[]> keep() { return keep; }

    /** Fraction of pruned elements of one weight. */
    public double sparsity(String weight) {
        boolean[] k = keep.get(weight);
        if (k == null) throw new IllegalArgumentException("no mask for '" + weight + "'");
        return (double) pruned(k) / k.length;
    }

    /** Fraction of pruned elements over all masked weights. */
    public double sparsity() {
        long p = 0, n = 0;
        for (boolean[] k : keep.values()) {
            p += pruned(k);
            n += k.length;
        }
        return n == 0 ? 0 : (double) p / n;
    }

    private static long pruned(boolean[] k) {
        long p = 0;
        for (boolean b : k) if (!b) p++;
        return p;
    }

    /** Sets every pruned element of {@code graph}'s weights to +0.0 (exactly; see {@code io.SparseStorage}). */
    public void applyTo(Graph graph) {
        for (var e : keep.entrySet()) {
            Parameter p = graph.param(e.getKey());
            float[] v = p.value().toFloatArray();
            boolean[] k = e.getValue();
            if (k.length != v.length) throw new IllegalArgumentException("mask of " + e.getKey() + " has " + k.length + " elements, the weight " + v.length);
            for (int i = 0; i < v.length; i++) if (!k[i]) v[i] = 0f;
            Backend b = Backend.of(p.value());
            try (Tensor t = b.fromFloats(v, p.value().shape())) {
                b.copyInto(t, p.value());
            }
        }
    }

    /** The mask of one weight as 0/1 floats, for multiplying on the backend. */
    float[] asFloats(String weight) {
        boolean[] k = keep.get(weight);
        float[] f = new float[k.length];
        for (int i = 0; i < k.length; i++) f[i] = k[i] ? 1f : 0f;
        return f;
    }
}
