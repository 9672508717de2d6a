package dev.nncompress.compress.quant.calib;

import dev.nncompress.quant.QParams;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The result of calibration: per node the weight {@link QParams} (per output channel) and per tensor
 * (graph input or node output) the activation {@link QParams}, aliased tensors (max-pool, flatten)
 * mapping to their source's parameters; plus how they were obtained. A node absent from both maps stays
 * float. Everything the int8 converter needs, and nothing it has to recompute.
 */
public record QuantPlan(String graphName, String observer, int calibrationImages,
                        Map<String, QParams> weights, Map<String, QParams> activations, Set<String> excluded) {
    public QuantPlan {
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        activations = Collections.unmodifiableMap(new LinkedHashMap<>(activations));
        excluded = Collections.unmodifiableSet(new LinkedHashSet<>(excluded));
    }

    /** Only {@code node}'s weight and output quantised: what the sensitivity report measures one layer with. */
    public QuantPlan only(String node) {
        Map<String, QParams> w = new LinkedHashMap<>();
        Map<String, QParams> a = new LinkedHashMap<>();
        if (weights.containsKey(node)) w.put(node, weights.get(node));
        if (activations.containsKey(node)) a.put(node, activations.get(node));
        return new QuantPlan(graphName, observer, calibrationImages, w, a, excluded);
    }

    /** Printable summary: one header line, then one line per quantised tensor. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "plan for %s: %d weight(s) per channel, %d activation(s), observer %s, %d calibration image(s)%s",
                graphName, weights.size(), activations.size(), observer, calibrationImages,
                excluded.isEmpty() ? "" : ", float: " + String.join(", ", excluded)));
        Set<String> names = new LinkedHashSet<>(activations.keySet());
        names.addAll(weights.keySet());
        for (String n : names) {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-18s", n));
            QParams w = weights.get(n);
            if (w != null) {
                float lo = Float.MAX_VALUE, hi = 0;
                for (float s : w.scales()) { lo = Math.min(lo, s); hi = Math.max(hi, s); }
                sb.append(String.format(Locale.ROOT, " weight scale %.3g..%.3g (%d ch)", lo, hi, w.channels()));
            }
            QParams a = activations.get(n);
            if (a != null) {
                float s = a.scale(0);
                int zp = a.zeroPoint(0);
                // the float range the codes [-128, 127] cover
                sb.append(String.format(Locale.ROOT, " act scale %.4g zp %d [%.3g, %.3g]", s, zp, (-128 - zp) * s, (127 - zp) * s));
            }
            out.add(sb.toString());
        }
        return out;
    }
}
