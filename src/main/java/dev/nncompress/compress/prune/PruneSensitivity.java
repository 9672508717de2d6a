package dev.nncompress.compress.prune;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.util.ProgressListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-layer pruning sensitivity (issue 7: "accuracy against sparsity per layer"): for each target layer alone and
 * each sparsity level, that layer's weight is pruned to the level (its own ranking, {@link PruneScope#LAYER}, with
 * the criterion's scores of the dense graph), the graph is evaluated without fine-tuning, and the weight is put
 * back bit for bit. Layers whose accuracy falls fast deserve a lower sparsity; flat ones can take more.
 *
 * @param dense    accuracy of the unpruned graph on the same images
 * @param levels   the sparsity levels, in the order asked
 * @param rows     one per layer, graph order
 */
public record PruneSensitivity(String graphName, String criterion, int images, double dense, List<Double> levels, List<Row> rows) {
    public PruneSensitivity {
        levels = List.copyOf(levels);
        rows = List.copyOf(rows);
    }

    /** One layer: its weight count and the accuracy at each level (same order as {@code levels}). */
    public record Row(String layer, long weights, List<Double> accuracy) {
        public Row {
            accuracy = List.copyOf(accuracy);
        }
    }

    /**
     * Measures the table. {@code graph} is changed while this runs (one layer at a time) and restored exactly, also
     * when an evaluation fails. Levels must be in [0, 1) and at least one.
     */
    public static PruneSensitivity measure(Graph graph, PruneTargets targets, List<Double> levels, ImportanceCriterion criterion,
                                           Dataset test, Backend backend) {
        return measure(graph, targets, levels, criterion, test, backend, ProgressListener.NONE);
    }

    /** As {@link #measure(Graph, PruneTargets, List, ImportanceCriterion, Dataset, Backend)}, one step per evaluation, the layer as detail. */
    public static PruneSensitivity measure(Graph graph, PruneTargets targets, List<Double> levels, ImportanceCriterion criterion,
                                           Dataset test, Backend backend, ProgressListener progress) {
        if (levels.isEmpty()) throw new IllegalArgumentException("sensitivity needs at least one sparsity level");
        levels.forEach(MaskSelection::checkSparsity);
        if (targets.layers().isEmpty()) throw new IllegalArgumentException("nothing to prune: no target layers");
        Evaluator eval = new Evaluator(backend, 256);
        double dense = accuracy(eval.evaluate(graph, test));
        Map<String, float[]> scores = criterion.scores(graph, targets); // of the dense graph, as a one-shot run would use
        List<Row> rows = new ArrayList<>();
        try (ProgressListener.Task task = progress.start("sensitivity", (long) targets.layers().size() * levels.size(), "evaluations")) {
            for (String layer : targets.layers()) {
                String w = PruneTargets.weightOf(layer);
                Parameter p = graph.param(w);
                float[] saved = p.value().toFloatArray();
                List<Double> acc = new ArrayList<>();
                try {
                    for (double level : levels) {
                        MaskSelection.select(Map.of(w, scores.get(w)), level, PruneScope.LAYER).applyTo(graph);
                        acc.add(accuracy(eval.evaluate(graph, test)));
                        restore(p, saved);
                        task.update((long) rows.size() * levels.size() + acc.size(), layer);
                    }
                } finally {
                    restore(p, saved);
                }
                rows.add(new Row(layer, saved.length, acc));
            }
        }
        return new PruneSensitivity(graph.name(), criterion.name(), test.count(), dense, levels, rows);
    }

    /** Exact correct / count as a double (EvalResult's float accuracy would print 0.8579999804 in the JSON). */
    private static double accuracy(EvalResult r) { return r.count() == 0 ? 0 : (double) r.correct() / r.count(); }

    private static void restore(Parameter p, float[] saved) {
        Backend owner = Backend.of(p.value());
        try (Tensor t = owner.fromFloats(saved, p.value().shape())) {
            owner.copyInto(t, p.value());
        }
    }

    /** The table: one line per layer, accuracy and points vs dense per level, e.g. {@code fc1  50,176  84.10% (-2.3)}. */
    public List<String> lines() {
        List<String[]> cells = new ArrayList<>();
        String[] head = new String[levels.size() + 2];
        head[0] = "layer";
        head[1] = "weights";
        for (int i = 0; i < levels.size(); i++) head[i + 2] = String.format(Locale.ROOT, "%.0f%%", 100 * levels.get(i));
        cells.add(head);
        for (Row r : rows) {
            String[] c = new String[levels.size() + 2];
            c[0] = r.layer();
            c[1] = String.format(Locale.ROOT, "%,d", r.weights());
            for (int i = 0; i < levels.size(); i++) {
                double a = r.accuracy().get(i);
                c[i + 2] = String.format(Locale.ROOT, "%.2f%% (%+.2f)", 100 * a, 100 * (a - dense));
            }
            cells.add(c);
        }
        int[] width = new int[head.length];
        for (String[] c : cells) for (int i = 0; i < c.length; i++) width[i] = Math.max(width[i], c[i].length());
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%s, %s, one layer at a time, no fine-tuning; dense %.2f%% on %,d test images; accuracy (points vs dense) at sparsity:",
                graphName, criterion, 100 * dense, images));
        for (String[] c : cells) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-" + width[0] + "s", c[0]));
            for (int i = 1; i < c.length; i++) b.append("  ").append(String.format(Locale.ROOT, "%" + width[i] + "s", c[i]));
            out.add(b.toString());
        }
        return out;
    }

    /** As JSON for a report: model, criterion, images, dense, levels, and per layer its weights and accuracies. */
    public ObjectNode toJson() {
        ObjectNode root = new JsonMapper().createObjectNode();
        root.put("model", graphName);
        root.put("criterion", criterion);
        root.put("images", images);
        root.put("dense_accuracy", dense);
        var lv = root.putArray("levels");
        levels.forEach(lv::add);
        var layers = root.putArray("layers");
        for (Row r : rows) {
            ObjectNode o = layers.addObject();
            o.put("layer", r.layer());
            o.put("weights", r.weights());
            var a = o.putArray("accuracy");
            r.accuracy().forEach(a::add);
        }
        return root;
    }
}
