package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.OpType;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The int8 engine on a graph with the shapes family's nodes: a ceil-mode max-pool (float: the int8
 * max-pool takes floor windows), a concat of two int8 conv branches (float on the float backend,
 * requantised for the conv reading it), a count_include_pad average pool, a mean and a reshape (float,
 * single-node graphs). It computes what the simulation measures, with Int8RunnerTest's tolerance.
 */
class Int8ShapeOpsTest {
    private final Backend ref = new ReferenceBackend();

    private Graph net() {
        GraphBuilder b = new GraphBuilder("fire", Shape.of(1, 28, 28), ref, 8);
        String x = b.relu("r1", b.conv("c1", Graph.INPUT, 4, 3, 2, 1, true)); // [4, 14, 14]
        x = b.op("mp", OpType.MAXPOOL2D, List.of(x), Map.of("kernel_h", 3.0, "kernel_w", 3.0, "stride_h", 2.0, "stride_w", 2.0, "pad_h", 0.0,
                "pad_w", 0.0, "ceil_mode", 1.0)); // [4, 7, 7]
        String e1 = b.relu("r2", b.conv("e1", x, 3, 1, 1, 0, true));
        String e3 = b.relu("r3", b.conv("e3", x, 3, 3, 1, 1, true));
        x = b.op("cat", OpType.CONCAT, List.of(e1, e3), Map.of("axis", 0.0)); // [6, 7, 7]
        x = b.relu("r4", b.conv("c2", x, 6, 1, 1, 0, true));
        x = b.op("ap", OpType.AVGPOOL2D, List.of(x), Map.of("kernel_h", 3.0, "kernel_w", 3.0, "stride_h", 2.0, "stride_w", 2.0, "pad_h", 1.0,
                "pad_w", 1.0, "count_include_pad", 1.0)); // [6, 4, 4]
        x = b.op("mean", OpType.REDUCE_MEAN, List.of(x), Map.of("axis", 2.0, "count", 1.0, "keepdims", 0.0)); // [6, 4]
        x = b.op("rs", OpType.RESHAPE, List.of(x), Map.of("dim0", -1.0, "dim1", 2.0, "dim2", 2.0)); // [6, 2, 2]
        return b.build(b.linear("fc", b.flatten("fl", x), 10));
    }

    @ParameterizedTest
    @MethodSource("dev.nncompress.int8.Int8KernelProviders#all")
    void int8EngineRunsTheNewNodesInFloatAndMatchesTheSimulation(String kernels) {
        Graph g = CalibFixtures.prepared(net());
        Dataset data = CalibFixtures.noise(13, 4);
        QuantPlan plan = new Calibrator("minmax", 13, 8, null).calibrate(QuantTargets.of(g), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        try (Int8Runner r = new Int8Runner(m, Int8KernelProviders.create(kernels, 1), ref)) {
            assertEquals("9 of 11 nodes in int8 (5 int8 GEMMs), 2 in float: node ap (AVGPOOL2D), node mean (REDUCE_MEAN)", r.summary()); // GEMMs: c1, e1, e3, c2, fc (the ReLUs fused into them)
        }
        Int8RunnerTest.assertMatchesSimulation("fire", g, plan, m, data, Int8KernelProviders.create(kernels, 1));
    }
}
