package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.quant.QParams;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * QAT leaves max-pool and flatten outputs as they are ({@link QuantTargets#gridPreservingAliases()}, issue 23): a training
 * pass with them left alone gives the same logits and the same parameter gradients, bit for bit, as one that fake-quantises
 * them again, on both host backends; their parameters are still asked for (QAT's int32 bias grids follow them); dropout,
 * which scales its input off the grid in training, is still fake-quantised.
 */
class GridPreservingAliasesTest {
    private static final int BATCH = 16;

    /** conv+ReLU, pool (ceil mode off, odd size: the last row is dropped), conv+ReLU, pool, flatten, dropout, linear+ReLU, linear. */
    private static Graph prepared(Backend b) {
        GraphBuilder g = new GraphBuilder("grid", Shape.of(1, 15, 15), b, 3);
        String x = g.maxPool("pool1", g.relu("relu1", g.conv("conv1", Graph.INPUT, 4, 3, 1, 1, true)), 2);
        x = g.maxPool("pool2", g.relu("relu2", g.conv("conv2", x, 6, 3, 1, 1, true)), 2);
        x = g.dropout("drop", g.flatten("flatten", x), 0.25);
        x = g.relu("relu3", g.linear("fc1", x, 12));
        return GraphPreparation.forInference(g.build(g.linear("fc2", x, 5))).graph();
    }

    @Test
    void poolAndFlattenAreLeftAloneWithTheSameResultsBitForBit() {
        for (Backend b : List.of(Backends.defaultBackend(), new ReferenceBackend())) {
            Graph g = prepared(b);
            QuantTargets targets = QuantTargets.of(g);
            assertEquals(Set.of("pool1", "pool2", "flatten"), targets.gridPreservingAliases(), b.name());
            assertEquals(true, targets.aliases().containsKey("drop"), "dropout is an alias, but not a grid-preserving one");
            float[] images = new float[BATCH * 15 * 15];
            SplittableRandom r = new SplittableRandom(9);
            for (int i = 0; i < images.length; i++) images[i] = (float) (r.nextGaussian() * 1.5);
            int[] labels = new int[BATCH];
            for (int i = 0; i < BATCH; i++) labels[i] = r.nextInt(5);
            // parameters narrower than the values, so that clamping (a zero mask) happens in every tensor
            Map<String, QParams> acts = new LinkedHashMap<>(new Calibrator("minmax", BATCH, BATCH, null)
                    .calibrate(targets, new Dataset(scaled(images, 0.5f), labels, 1, 15, 15, 5), b).activations());

            List<String> asked = new ArrayList<>();
            Pass all = pass(g, b, images, labels, new FakeQuantizeHook(acts.keySet(), (n, v) -> acts.get(n)));
            Pass skipping = pass(g, b, images, labels, new FakeQuantizeHook(acts.keySet(), targets.gridPreservingAliases(), (n, v) -> {
                asked.add(n);
                return acts.get(n);
            }));
            assertArrayEquals(all.logits, skipping.logits, b.name());
            for (String p : all.grads.keySet()) assertArrayEquals(all.grads.get(p), skipping.grads.get(p), b.name() + " " + p);
            assertEquals(List.of(Graph.INPUT, "conv1", "pool1", "conv2", "pool2", "flatten", "drop", "fc1", "fc2"), asked, b.name());
            for (Parameter p : g.params().values()) p.value().close();
        }
    }

    @Test
    void aSkippedTensorIsHandedBackAndOnlyQuantisedOnesMayBeSkipped() {
        Backend b = new ReferenceBackend();
        QParams p = QParams.perTensor(0.1f, 0);
        try (Tensor t = b.fromFloats(new float[] {0.3f, 7f}, Shape.of(1, 2));
             FakeQuantizeHook hook = new FakeQuantizeHook(Set.of("a", "b"), Set.of("a"), (n, v) -> p)) {
            assertSame(t, hook.apply("a", t));
            assertSame(t, hook.gradient("a", t), "no mask kept for a skipped tensor");
        }
        assertThrows(IllegalArgumentException.class, () -> new FakeQuantizeHook(Set.of("a"), Set.of("b"), (n, v) -> p));
    }

    private record Pass(float[] logits, Map<String, float[]> grads) {}

    /** One training-mode forward and backward (the same dropout seed each time); the parameter gradients cleared after reading. */
    private static Pass pass(Graph g, Backend b, float[] images, int[] labels, FakeQuantizeHook hook) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        float[] logits;
        try (hook; GraphRunner run = new GraphRunner(Logits.of(g), b, true, 17);
             Tensor x = b.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), BATCH))) {
            Tensor out = run.forward(x, hook);
            logits = out.toFloatArray();
            var loss = b.softmaxCrossEntropy(out, labels);
            try (Tensor grad = loss.gradLogits()) {
                run.backward(grad, hook);
            }
        }
        for (Map.Entry<String, Parameter> e : g.params().entrySet()) {
            Parameter p = e.getValue();
            if (p.grad() != null) grads.put(e.getKey(), p.grad().toFloatArray());
            p.clearGrad();
        }
        return new Pass(logits, grads);
    }

    private static float[] scaled(float[] v, float f) {
        float[] out = v.clone();
        for (int i = 0; i < out.length; i++) out[i] *= f;
        return out;
    }
}
