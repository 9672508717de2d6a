package dev.nncompress.pipeline;

import dev.nncompress.graph.Graph;
import dev.nncompress.int8.Int8Model;

/** The model between two stages: a float graph on the run's backend, or (after quantize) an int8 model. */
record ModelState(Graph graph, Int8Model int8) {
    ModelState {
        if ((graph == null) == (int8 == null)) throw new IllegalArgumentException("exactly one of graph and int8");
    }

    static ModelState of(Graph g) { return new ModelState(g, null); }

    static ModelState of(Int8Model m) { return new ModelState(null, m); }

    boolean isInt8() { return int8 != null; }

    String name() { return isInt8() ? int8.name() : graph.name(); }

    long parameterCount() { return isInt8() ? int8.parameterCount() : graph.parameterCount(); }
}
