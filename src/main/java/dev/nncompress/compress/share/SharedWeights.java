package dev.nncompress.compress.share;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trained weight sharing's state: for every shared weight, its codebook (ascending centroids) and which
 * centroid each element takes, -1 for a pruned element (exactly zero in the model: the masks a pruned file
 * carries in its values, as {@link dev.nncompress.compress.prune.PruneMasks#ofZeros}). Pruned elements stay
 * zero and out of every cluster, so sharing composes with pruning: only the survivors are clustered.
 */
public final class SharedWeights {
    /** One weight's clusters; {@code centroids} change in fine-tuning, {@code assignment} never does. */
    public static final class Layer {
        private final float[] centroids;
        private final int[] assignment;
        private final int members[];

        Layer(float[] centroids, int[] assignment) {
            this.centroids = centroids.clone();
            this.assignment = assignment.clone();
            this.members = new int[centroids.length];
            for (int a : assignment) if (a >= 0) members[a]++;
        }

        public float[] centroids() { return centroids.clone(); }

        public int[] assignment() { return assignment.clone(); }

        /** The dense weight: each element its centroid, pruned elements +0.0. */
        public float[] values() {
            float[] v = new float[assignment.length];
            for (int i = 0; i < v.length; i++) v[i] = assignment[i] < 0 ? 0f : centroids[assignment[i]];
            return v;
        }

        /**
         * Each element's gradient replaced by its centroid's: the sum of the gradients of the centroid's members
         * (dL/dc_k = sum over i with I_i = k of dL/dW_i, Han et al. eq. 3); 0 for pruned elements. Every member of
         * a cluster then takes the same optimiser step, which is the centroid's step.
         */
        public float[] centroidGradients(float[] grad) {
            if (grad.length != assignment.length) throw new IllegalArgumentException("gradient has " + grad.length + " elements, the weight " + assignment.length);
            double[] sum = new double[centroids.length];
            for (int i = 0; i < grad.length; i++) if (assignment[i] >= 0) sum[assignment[i]] += grad[i];
            float[] out = new float[grad.length];
            for (int i = 0; i < out.length; i++) out[i] = assignment[i] < 0 ? 0f : (float) sum[assignment[i]];
            return out;
        }

        /**
         * Reads the centroids back from a weight after an optimiser step (each the mean of its members, which the
         * step moved alike up to rounding) and returns the weight snapped to them.
         */
        float[] resnap(float[] weight) {
            double[] sum = new double[centroids.length];
            for (int i = 0; i < weight.length; i++) if (assignment[i] >= 0) sum[assignment[i]] += weight[i];
            for (int k = 0; k < centroids.length; k++) if (members[k] > 0) centroids[k] = (float) (sum[k] / members[k]);
            return values();
        }
    }

    private final Map<String, Layer> layers;

    private SharedWeights(Map<String, Layer> layers) { this.layers = Collections.unmodifiableMap(layers); }

    /**
     * Clusters the unpruned elements of every target weight of {@code graph} (k-means, linear initialisation over
     * their [min, max]) into at most 2^bits centroids, bits by layer (or its kind) from {@code config}, whose named layers must be targets,
     * and each target layer's bias the same way with {@code config.biasBits()} unless biases stay float. The graph is not changed.
     */
    public static SharedWeights cluster(Graph graph, PruneTargets targets, ShareConfig config) {
        config.checkLayers(targets.layers());
        Map<String, Layer> out = new LinkedHashMap<>();
        for (String layer : targets.layers()) {
            String w = PruneTargets.weightOf(layer);
            out.put(w, layer(graph.param(w), bits(graph, layer, config)));
            String bias = layer + ".bias";
            if (config.biasBits() != ShareConfig.FLOAT_BIASES && graph.params().containsKey(bias)) out.put(bias, layer(graph.param(bias), config.biasBits()));
        }
        return new SharedWeights(out);
    }

    /** {@code p}'s nonzero elements clustered into at most 2^bits centroids; its zeros (pruned) in none. */
    private static Layer layer(Parameter p, int bits) {
        float[] v = p.value().toFloatArray();
        int n = 0;
        for (float f : v) if (f != 0f) n++;
        float[] kept = new float[n];
        int j = 0;
        for (float f : v) if (f != 0f) kept[j++] = f;
        KMeans1d.Result r = KMeans1d.cluster(kept, 1 << bits);
        int[] assignment = new int[v.length];
        j = 0;
        for (int i = 0; i < v.length; i++) assignment[i] = v[i] != 0f ? r.assignment()[j++] : -1;
        return new Layer(r.centroids(), assignment);
    }

    /** Bits of {@code layer}: its own if {@code config} names it, else conv layers {@code convBits}, linear layers {@code linearBits}. */
    static int bits(Graph graph, String layer, ShareConfig config) {
        for (Node n : graph.nodes()) {
            if (n.name().equals(layer)) return config.bits(layer, n.op() == OpType.CONV2D);
        }
        throw new IllegalArgumentException("no layer " + layer + " in " + graph.name());
    }

    /** Shared weights (and biases, when shared) by parameter name, in graph order. */
    public Map<String, Layer> layers() { return layers; }

    /** Writes every shared weight's centroid values into {@code graph}. */
    public void applyTo(Graph graph) {
        for (var e : layers.entrySet()) write(graph.param(e.getKey()), e.getValue().values());
    }

    /** After an optimiser step: each weight's centroids re-read and the weight snapped back onto them. */
    void resnap(Graph graph) {
        for (var e : layers.entrySet()) {
            Parameter p = graph.param(e.getKey());
            write(p, e.getValue().resnap(p.value().toFloatArray()));
        }
    }

    static void write(Parameter p, float[] values) {
        Backend b = Backend.of(p.value());
        try (Tensor t = b.fromFloats(values, p.value().shape())) {
            b.copyInto(t, p.value());
        }
    }
}
