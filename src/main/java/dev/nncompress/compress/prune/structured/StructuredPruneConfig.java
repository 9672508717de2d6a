package dev.nncompress.compress.prune.structured;

import java.util.Map;
import java.util.Set;

/**
 * What to prune, validated on construction.
 *
 * @param sparsity      fraction of each prunable group's channels (conv channels and hidden neurons alike) to
 *                      remove, in [0, 1)
 * @param linearSparsity the fraction for hidden-neuron groups instead, or null for {@code sparsity}: MLP heads
 *                      often tolerate a different amount than convs, and 0 keeps them whole
 * @param roundTo       round each kept count up to a multiple of this (1 = no rounding; 8 suits SIMD and
 *                      tensor-core tiles), never above the group's channels
 * @param layerSparsity per-layer (conv or linear) overrides of both; a residual group takes the value named for
 *                      any of its convs (two different values in one group are an error)
 * @param exclude       convs and linears whose groups stay whole
 */
public record StructuredPruneConfig(double sparsity, Double linearSparsity, int roundTo, Map<String, Double> layerSparsity,
                                    Set<String> exclude) {
    public StructuredPruneConfig {
        checkSparsity(sparsity, "sparsity");
        if (linearSparsity != null) checkSparsity(linearSparsity, "linear sparsity");
        if (roundTo < 1) throw new IllegalArgumentException("roundTo must be >= 1, got " + roundTo);
        layerSparsity = Map.copyOf(layerSparsity);
        exclude = Set.copyOf(exclude);
        layerSparsity.forEach((layer, s) -> checkSparsity(s, "sparsity of layer " + layer));
    }

    public static StructuredPruneConfig of(double sparsity) { return new StructuredPruneConfig(sparsity, null, 1, Map.of(), Set.of()); }

    public StructuredPruneConfig withLinearSparsity(Double s) { return new StructuredPruneConfig(sparsity, s, roundTo, layerSparsity, exclude); }

    public StructuredPruneConfig withRoundTo(int multiple) { return new StructuredPruneConfig(sparsity, linearSparsity, multiple, layerSparsity, exclude); }

    public StructuredPruneConfig withLayerSparsity(Map<String, Double> perLayer) {
        return new StructuredPruneConfig(sparsity, linearSparsity, roundTo, perLayer, exclude);
    }

    public StructuredPruneConfig withExclude(Set<String> layers) { return new StructuredPruneConfig(sparsity, linearSparsity, roundTo, layerSparsity, layers); }

    /** The fraction a group gets when no layer override names it. */
    public double defaultSparsity(ChannelGroup g) { return g.neurons() && linearSparsity != null ? linearSparsity : sparsity; }

    /** Channels kept out of {@code channels} at {@code s}: remove floor(s * C) (never more than asked), round up, at least 1. */
    public int keepCount(int channels, double s) {
        int keep = Math.max(1, channels - (int) Math.floor(s * channels + 1e-9));
        keep = (keep + roundTo - 1) / roundTo * roundTo;
        return Math.min(channels, keep);
    }

    private static void checkSparsity(Double s, String what) {
        if (s == null || !(s >= 0 && s < 1)) {
            throw new IllegalArgumentException(what + " must be in [0, 1) (the fraction of channels to remove; 1 would remove them all), got " + s);
        }
    }
}
