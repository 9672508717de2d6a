package dev.nncompress.models;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.tensor.Shape;

/**
 * Small graphs with issue 17's convolutions for the tests and benchmarks that take a whole model:
 * a plain stem, a depthwise conv with channel multiplier 2 and asymmetric padding, a grouped dilated
 * conv, a pointwise conv and a linear head (input [4, 9, 8], 3 classes).
 */
public final class ConvFamilyModels {
    private ConvFamilyModels() {}

    /** Conv2dSpec(strideH, strideW, top, left, bottom, right, dilationH, dilationW, groups). */
    public static Graph mixed(Backend backend, long seed) {
        GraphBuilder b = new GraphBuilder("convfamily", Shape.of(4, 9, 8), backend, seed);
        String x = b.relu("relu0", b.conv("stem", dev.nncompress.graph.Graph.INPUT, 4, 3, 1, 1, true));
        x = b.relu("relu1", b.conv("dw", x, 8, 3, new Conv2dSpec(1, 1, 1, 0, 1, 2, 1, 1, 4), true));
        x = b.relu("relu2", b.batchNorm("bn2", b.conv("gc", x, 6, 3, new Conv2dSpec(2, 2, 2, 2, 2, 2, 2, 2, 2), false)));
        x = b.relu("relu3", b.conv("pw", x, 5, 1, 1, 0, true));
        x = b.flatten("flat", b.globalAvgPool("gap", x));
        return b.build(b.linear("fc", x, 3));
    }
}
