package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.nncompress.compress.prune.structured.PruneFixtures.randomImages;
import static dev.nncompress.compress.prune.structured.PruneFixtures.setChannel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FilterCriterionTest {
    private final Backend backend = new ReferenceBackend();

    /** Scores recomputed here in the plainest way; the sums run in double, so 1e-9 relative covers ordering. */
    @Test
    void weightNormsSumOverAllProducersOfAResidualGroup() {
        Graph g = Models.resnet8(backend, 4);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        ChannelGroup tied = groups.producedBy("layer3_down_conv");
        double[] l1 = FilterCriterion.l1().scores(g, groups)[tied.id()];
        double[] l2 = FilterCriterion.l2().scores(g, groups)[tied.id()];
        float[] a = g.param("layer3_conv2.weight").value().toFloatArray(); // [64, 64, 3, 3]
        float[] b = g.param("layer3_down_conv.weight").value().toFloatArray(); // [64, 32, 1, 1]
        for (int o = 0; o < 64; o++) {
            double l1a = 0, l1b = 0, l2a = 0, l2b = 0;
            for (int i = 0; i < 576; i++) { l1a += Math.abs(a[o * 576 + i]); l2a += a[o * 576 + i] * (double) a[o * 576 + i]; }
            for (int i = 0; i < 32; i++) { l1b += Math.abs(b[o * 32 + i]); l2b += b[o * 32 + i] * (double) b[o * 32 + i]; }
            assertEquals(l1a + l1b, l1[o], 1e-9 * l1[o]);
            assertEquals(Math.sqrt(l2a) + Math.sqrt(l2b), l2[o], 1e-9 * l2[o]);
        }
    }

    @Test
    void apozAndMeanActivationMatchADirectCountAfterTheRelu() {
        Graph g = Models.student(backend, 6);
        setChannel(g, backend, "conv1.bias", 2, -100f); // channel 2 never fires: APoZ 1, mean 0
        float[] x = randomImages(g, 10, 2);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        double[] apoz = FilterCriterion.apoz(backend, x, 4).scores(g, groups)[0]; // batches 4 + 4 + 2
        double[] mean = FilterCriterion.meanActivation(backend, x, 4).scores(g, groups)[0];

        float[] relu1;
        try (Tensor in = backend.fromFloats(x, Shape.of(10, 1, 28, 28)); GraphRunner run = new GraphRunner(g, backend, false, 0)) {
            run.forward(in);
            relu1 = run.output("relu1").toFloatArray(); // [10, 8, 28, 28]
        }
        int hw = 28 * 28;
        for (int c = 0; c < 8; c++) {
            double zeros = 0, sum = 0;
            for (int n = 0; n < 10; n++) for (int i = 0; i < hw; i++) {
                float v = relu1[(n * 8 + c) * hw + i];
                if (v == 0f) zeros++;
                sum += v;
            }
            assertEquals(1 - zeros / (10 * hw), apoz[c], 1e-12, "1 - APoZ of channel " + c);
            assertEquals(sum / (10 * hw), mean[c], 1e-9, "mean activation of channel " + c);
        }
        assertEquals(0.0, apoz[2]);
        for (int c = 0; c < 8; c++) if (c != 2) assertTrue(apoz[c] > 0, "channel " + c + " fires sometimes");

        StructuredPruneResult r = StructuredPruner.prune(g, StructuredPruneConfig.of(0.0).withLayerSparsity(java.util.Map.of("conv1", 0.125)),
                FilterCriterion.apoz(backend, x, 5));
        assertArrayEquals(new int[] {0, 1, 3, 4, 5, 6, 7}, r.report().groups().get(0).kept());
        assertEquals("apoz", r.report().criterion());
    }

    /** A hidden neuron's scores: the L1 norm of its fc1 weight row, and 1 - APoZ over images at relu3 ([N, 64], one value each). */
    @Test
    void neuronScoresAreWeightRowNormsAndActivationsPerImage() {
        Graph g = Models.student(backend, 6);
        setChannel(g, backend, "fc1.bias", 5, -100f); // neuron 5 never fires
        float[] x = randomImages(g, 6, 3);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        int hidden = groups.producedBy("fc1").id();
        double[] l1 = FilterCriterion.l1().scores(g, groups)[hidden];
        double[] apoz = FilterCriterion.apoz(backend, x, 4).scores(g, groups)[hidden];
        float[] w = g.param("fc1.weight").value().toFloatArray(); // [64, 784]
        float[] relu3;
        try (Tensor in = backend.fromFloats(x, Shape.of(6, 1, 28, 28)); GraphRunner run = new GraphRunner(g, backend, false, 0)) {
            run.forward(in);
            relu3 = run.output("relu3").toFloatArray();
        }
        for (int o = 0; o < 64; o++) {
            double norm = 0, zeros = 0;
            for (int i = 0; i < 784; i++) norm += Math.abs(w[o * 784 + i]);
            for (int n = 0; n < 6; n++) if (relu3[n * 64 + o] == 0f) zeros++;
            assertEquals(norm, l1[o], 1e-9 * norm, "L1 of neuron " + o);
            assertEquals(1 - zeros / 6, apoz[o], 1e-12, "1 - APoZ of neuron " + o);
        }
        assertEquals(0.0, apoz[5]);
    }

    @Test
    void activationCriteriaRejectBadCalibrationInput() {
        Graph g = Models.student(backend, 0);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FilterCriterion.apoz(backend, new float[100], 4).scores(g, groups));
        assertTrue(e.getMessage().contains("not a multiple of one"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FilterCriterion.apoz(backend, new float[784], 0));
        assertThrows(IllegalArgumentException.class, () -> FilterCriterion.meanActivation(backend, new float[0], 4));
    }

    @Test
    void activationCriteriaNameAGroupWithoutReluToObserve() {
        dev.nncompress.models.GraphBuilder b = new dev.nncompress.models.GraphBuilder("noRelu", Shape.of(1, 8, 8), backend, 1);
        String x = b.batchNorm("bn", b.conv("c1", Graph.INPUT, 4, 3, 1, 1, false));
        Graph g = b.build(b.linear("fc", b.flatten("flat", b.relu("r", b.conv("c2", x, 4, 3, 1, 1, true))), 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FilterCriterion.apoz(backend, randomImages(g, 2, 1), 2).scores(g, ChannelDependencies.analyze(g)));
        assertEquals("group 0 (c1) has no ReLU output to observe; use an activation-free criterion such as l1 or l2", e.getMessage());
    }
}
