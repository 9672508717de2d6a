package dev.nncompress.spark;

import dev.nncompress.pipeline.Recipe;
import dev.nncompress.pipeline.RecipeOverrides;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The points of a sweep: the cross product of {@code --grid 'prune.sparsity=0.5,0.7;quantize.observer=minmax,kl'}
 * (axes separated by ';', values by ','), each run with {@code --seeds N} seeds (the recipe's seed, then seed+1, ...).
 * Every point's overrides are applied to the recipe and validated here ({@link RecipeOverrides}), before Spark starts:
 * a value the recipe refuses fails the whole sweep at once with the recipe's one-line error, not one task later.
 */
public final class SweepGrid {
    static final int MAX_POINTS = dev.nncompress.pipeline.SweepReport.MAX_POINTS; // one bound for the grid and for sweep.json

    /**
     * One run of the recipe: {@code id} names its directory under {@code points/}; {@code overrides} are the grid's
     * values (in axis order) plus {@code seed} when the sweep has several seeds.
     */
    public record Point(String id, Map<String, String> overrides, long seed) implements Serializable {
        public Point {
            overrides = Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
        }
    }

    private SweepGrid() {}

    /** The points of {@code grid} x {@code seeds} on {@code recipe}, in order: the last axis varies fastest, seeds innermost. */
    public static List<Point> points(Recipe recipe, String grid, int seeds) {
        if (seeds < 1 || seeds > 1000) throw new IllegalArgumentException("--seeds must be in 1..1000, got " + seeds);
        Map<String, List<String>> axes = axes(grid);
        if (seeds > 1 && axes.containsKey("seed")) throw new IllegalArgumentException("--grid varies seed and --seeds " + seeds + " too; use one of the two");
        long count = seeds;
        for (List<String> values : axes.values()) count *= values.size();
        if (count > MAX_POINTS) throw new IllegalArgumentException("--grid x --seeds makes " + count + " points; at most " + MAX_POINTS);
        List<Map<String, String>> combos = new ArrayList<>();
        combos.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<String>> axis : axes.entrySet()) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> c : combos) {
                for (String v : axis.getValue()) {
                    Map<String, String> m = new LinkedHashMap<>(c);
                    m.put(axis.getKey(), v);
                    next.add(m);
                }
            }
            combos = next;
        }
        int digits = String.valueOf(count - 1).length();
        List<Point> points = new ArrayList<>();
        for (Map<String, String> c : combos) {
            for (int s = 0; s < seeds; s++) {
                Map<String, String> o = new LinkedHashMap<>(c);
                if (seeds > 1) o.put("seed", Long.toString(recipe.seed() + s));
                Recipe checked = RecipeOverrides.apply(recipe, o); // RecipeException: the recipe's own message, naming the override
                points.add(new Point(String.format(Locale.ROOT, "p%0" + digits + "d", points.size()), o, checked.seed()));
            }
        }
        return points;
    }

    /** {@code key=v1,v2;key2=v3}: axes in order, each key once, each with at least one value. */
    static Map<String, List<String>> axes(String grid) {
        if (grid == null || grid.isBlank()) throw new IllegalArgumentException("--grid is empty; give e.g. 'prune.sparsity=0.5,0.7;quantize.observer=minmax,kl'");
        if (grid.length() > 10_000) throw new IllegalArgumentException("--grid is longer than 10000 characters");
        Map<String, List<String>> axes = new LinkedHashMap<>();
        for (String axis : grid.split(";", -1)) {
            String a = axis.strip();
            int eq = a.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--grid: '" + a + "' is not KEY=V1,V2,... (axes are separated by ';')");
            String key = a.substring(0, eq).strip();
            if (axes.containsKey(key)) throw new IllegalArgumentException("--grid: " + key + " is given twice");
            List<String> values = new ArrayList<>();
            for (String v : a.substring(eq + 1).split(",", -1)) {
                String value = v.strip();
                if (value.isEmpty()) throw new IllegalArgumentException("--grid: " + key + " has an empty value");
                if (values.contains(value)) throw new IllegalArgumentException("--grid: " + key + " lists " + value + " twice");
                values.add(value);
            }
            axes.put(key, values);
        }
        return axes;
    }
}
