package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.ToyDatasets;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/** A tiny teacher/student pair on 1x6x6 images and a learnable task for them (fast on the reference backend). */
final class DistillFixtures {
    private DistillFixtures() {}

    /** conv(1->c, 3x3) "conv" + ReLU "relu", 2x2 max-pool "pool" (c x 3 x 3), flatten, linear -> classes "fc". */
    static Graph net(String name, int channels, int classes, Backend backend, long seed) {
        GraphBuilder b = new GraphBuilder(name, Shape.of(1, 6, 6), backend, seed);
        String x = b.maxPool("pool", b.relu("relu", b.conv("conv", Graph.INPUT, channels, 3, 1, 1, true)), 2);
        return b.build(b.linear("fc", b.flatten("flatten", x), classes));
    }

    static Graph teacher(Backend backend, long seed) { return net("tiny-teacher", 6, 3, backend, seed); }

    static Graph student(Backend backend, long seed) { return net("tiny-student", 4, 3, backend, seed); }

    /** The shared toy task ({@link ToyDatasets#columns}). */
    static Dataset columns(int n, long seed) { return ToyDatasets.columns(n, seed); }

    /** SGD 0.05 momentum 0.9, batch 8, shuffled by {@code seed}. */
    static TrainConfig config(int epochs, long seed) {
        return new TrainConfig(epochs, 8, new OptimizerConfig.Sgd(0.05f, 0.9f, 0f, false), new LrSchedule.Constant(), seed);
    }

    static Map<String, float[]> weights(Graph g) {
        Map<String, float[]> w = new LinkedHashMap<>();
        for (Parameter p : g.params().values()) w.put(p.name(), p.value().toFloatArray());
        return w;
    }
}
