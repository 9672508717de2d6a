package dev.nncompress.compress.prepare;

import dev.nncompress.graph.Graph;

/** A graph ready for calibration and int8 conversion, with the report of how it was made. */
public record PreparedGraph(Graph graph, PreparationReport report) {}
