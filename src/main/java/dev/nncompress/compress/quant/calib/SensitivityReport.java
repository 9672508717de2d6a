package dev.nncompress.compress.quant.calib;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.util.ProgressListener;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Per-layer sensitivity (issue 6: "so a user can see which layer hurts"): for every quantised layer
 * of a {@link QuantPlan} (each weight node and each tensor with its own activation parameters; aliases
 * share their source's and add nothing), the graph is run with only that layer quantised
 * ({@link QuantPlan#only}) through {@link SimulatedInt8}, against the float graph on the same images.
 * Sorted worst first (lowest SQNR).
 */
public record SensitivityReport(String graphName, int images, List<LayerSensitivity> layers) {
    public SensitivityReport {
        layers = List.copyOf(layers);
    }

    public static SensitivityReport measure(Graph prepared, QuantPlan plan, Dataset data, Backend backend, int batchSize) {
        return measure(prepared, plan, data, backend, batchSize, ProgressListener.NONE);
    }

    /** As {@link #measure(Graph, QuantPlan, Dataset, Backend, int)}, reporting a "sensitivity" task of one step per batch. */
    public static SensitivityReport measure(Graph prepared, QuantPlan plan, Dataset data, Backend backend, int batchSize,
                                            ProgressListener progress) {
        return measure(prepared, plan, data, backend, batchSize, progress, null);
    }

    /**
     * As above, measuring only the layers in {@code only} (null: all of {@link #layers}). Each layer's numbers do not
     * depend on which others are measured (its own simulation against the same float run), so a scan split into one
     * layer per task (nncompress sweep --sensitivity quantize) gives the rows of the whole scan.
     */
    public static SensitivityReport measure(Graph prepared, QuantPlan plan, Dataset data, Backend backend, int batchSize,
                                            ProgressListener progress, Set<String> only) {
        Set<String> layerNames = new LinkedHashSet<>(layers(prepared, plan));
        if (only != null) {
            for (String n : only) {
                if (!layerNames.contains(n)) throw new IllegalArgumentException("--sensitivity-layers: " + n + " is not a layer the scan measures; it measures "
                        + String.join(", ", layerNames));
            }
            layerNames.retainAll(only);
        }

        Map<String, SimulatedInt8> sims = new LinkedHashMap<>();
        Map<String, ErrorSums> outErr = new LinkedHashMap<>();
        Map<String, ErrorSums> logitErr = new LinkedHashMap<>();
        try {
            for (String n : layerNames) {
                sims.put(n, new SimulatedInt8(prepared, plan.only(n), backend));
                outErr.put(n, new ErrorSums());
                logitErr.put(n, new ErrorSums());
            }
            Batches batches = Batches.of(data, batchSize);
            // a step is a batch, the outer loop: every layer's simulation runs on it
            try (ProgressListener.Task task = progress.start("sensitivity " + layerNames.size() + " layers", batches.batchCount(), "batches")) {
                int done = 0;
                for (BatchIterator it = batches.epoch(0); it.hasNext(); ) {
                    Batch b = it.next();
                    try (GraphRunner ref = new GraphRunner(prepared, backend, false, 0);
                         Tensor x = backend.fromFloats(b.images(), Shape.of(b.size(), b.channels(), b.height(), b.width()))) {
                        float[] refLogits = ref.forward(x).toFloatArray();
                        for (String n : layerNames) {
                            SimulatedInt8 sim = sims.get(n);
                            try (GraphRunner q = new GraphRunner(sim.graph(), backend, false, 0)) {
                                float[] logits = q.forward(x, sim.hook()).toFloatArray();
                                outErr.get(n).add(ref.output(n).toFloatArray(), q.output(n).toFloatArray());
                                logitErr.get(n).add(refLogits, logits);
                            }
                        }
                    }
                    task.update(++done);
                }
            }
        } finally {
            sims.values().forEach(SimulatedInt8::close);
        }
        List<LayerSensitivity> out = new ArrayList<>();
        for (String n : layerNames) {
            String op = Graph.INPUT.equals(n) ? "input" : prepared.node(n).op().name().toLowerCase(Locale.ROOT);
            String what = plan.weights().containsKey(n) ? (plan.activations().containsKey(n) ? "weight+output" : "weight") : "output";
            out.add(new LayerSensitivity(n, op, what, outErr.get(n).sqnrDb(), logitErr.get(n).mse()));
        }
        return of(prepared.name(), data.count(), out);
    }

    /** The layers a scan measures, graph order: every weight node and every tensor with activation parameters of its own (the input first). */
    public static List<String> layers(Graph prepared, QuantPlan plan) {
        Set<String> layerNames = new LinkedHashSet<>();
        layerNames.add(Graph.INPUT);
        prepared.nodes().forEach(n -> layerNames.add(n.name()));
        layerNames.removeIf(n -> !plan.weights().containsKey(n) && !isOwnActivation(plan, n, prepared));
        return List.copyOf(layerNames);
    }

    /** The report of {@code layers} in its order: worst first (lowest SQNR), ties by node name. */
    public static SensitivityReport of(String graphName, int images, List<LayerSensitivity> layers) {
        List<LayerSensitivity> sorted = new ArrayList<>(layers);
        sorted.sort(Comparator.comparingDouble(LayerSensitivity::sqnrDb).thenComparing(LayerSensitivity::node));
        return new SensitivityReport(graphName, images, sorted);
    }

    /** An activation with its own parameters (not an alias of an earlier tensor's). */
    private static boolean isOwnActivation(QuantPlan plan, String n, Graph g) {
        if (!plan.activations().containsKey(n)) return false;
        return Graph.INPUT.equals(n) || !QuantTargets.inheritsInputParams(g.node(n).op());
    }

    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "sensitivity (%d image(s); one layer quantised at a time, worst first)", images));
        out.add(String.format(Locale.ROOT, "  %-18s %-15s %-14s %9s %12s", "layer", "op", "quantised", "SQNR dB", "logits MSE"));
        for (LayerSensitivity l : layers) {
            out.add(String.format(Locale.ROOT, "  %-18s %-15s %-14s %9.2f %12.3e", l.node(), l.op(), l.quantised(), l.sqnrDb(), l.logitsMse()));
        }
        return out;
    }

    /** JSON object; a non-finite SQNR (exact copy) is written as null since JSON has no infinity. */
    public ObjectNode toJson() {
        ObjectNode root = JsonMapper.builder().build().createObjectNode();
        root.put("model", graphName);
        root.put("images", images);
        ArrayNode arr = root.putArray("layers");
        for (LayerSensitivity l : layers) {
            ObjectNode o = arr.addObject();
            o.put("node", l.node());
            o.put("op", l.op());
            o.put("quantised", l.quantised());
            if (Double.isFinite(l.sqnrDb())) o.put("sqnr_db", l.sqnrDb()); else o.putNull("sqnr_db");
            o.put("logits_mse", l.logitsMse());
        }
        return root;
    }
}
