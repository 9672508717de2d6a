package dev.nncompress.compress.quant.qat;

import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.graph.Graph;
import dev.nncompress.train.EpochStats;

import java.util.List;

/**
 * What QAT hands to the int8 converter, in the same form as PTQ: the fine-tuned prepared float graph and
 * its plan (weights observed from the final weights, activations from the moving averages).
 */
public record QatResult(Graph graph, QuantPlan plan, List<EpochStats> history) {
    public QatResult {
        history = List.copyOf(history);
    }
}
