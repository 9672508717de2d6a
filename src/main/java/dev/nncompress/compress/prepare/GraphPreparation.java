package dev.nncompress.compress.prepare;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;

import java.util.ArrayList;
import java.util.List;

/**
 * Prepares a trained float graph for inference-only uses (calibration, int8 conversion, deployment):
 * {@link BatchNormFolding} first, so that a conv -> BN -> ReLU chain becomes conv -> ReLU, then
 * {@link ReluFusion}. The input graph is left untouched; the result computes the same function in
 * inference mode up to float rounding.
 */
public final class GraphPreparation {
    private GraphPreparation() {}

    public static PreparedGraph forInference(Graph graph) {
        PassResult bn = BatchNormFolding.apply(graph);
        PassResult relu = ReluFusion.apply(bn.graph());
        // the passes copy every parameter; the intermediate copies may hold native or device memory
        for (Parameter p : bn.graph().params().values()) p.value().close();
        List<Skip> skipped = new ArrayList<>(bn.skipped());
        skipped.addAll(relu.skipped());
        return new PreparedGraph(relu.graph(), new PreparationReport(bn.merged(), relu.merged(), skipped));
    }
}
