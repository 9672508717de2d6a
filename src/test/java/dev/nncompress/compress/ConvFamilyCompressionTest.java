package dev.nncompress.compress;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.JavaInt8Kernels;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prune.MagnitudeCriterion;
import dev.nncompress.compress.prune.MaskSelection;
import dev.nncompress.compress.prune.PruneScope;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.prune.structured.ChannelDependencies;
import dev.nncompress.compress.prune.structured.ChannelGroup;
import dev.nncompress.compress.prune.structured.ChannelGroups;
import dev.nncompress.compress.prune.structured.FilterCriterion;
import dev.nncompress.compress.prune.structured.StructuredPruner;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.SparseInference;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.models.ConvFamilyModels;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the compression passes do with issue 17's convolutions before they learn them (a later slice):
 * structured pruning prunes through the depthwise and the general grouped conv (the same in-group channels in
 * every group; exactness against the masked original: CoupledChannelsTest), unstructured pruning
 * zeroes its weights like any other, the sparse plan keeps it on the dense kernels and says so, and
 * int8 keeps its weight float (one line naming the node) while the rest of the model runs in int8.
 */
class ConvFamilyCompressionTest {
    private final Backend backend = new ReferenceBackend();

    private static float[] images(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 4 * 9 * 8];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void structuredPruningPrunesThroughDepthwiseAndGeneralGroupedConvs() {
        Graph g = ConvFamilyModels.mixed(backend, 3);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        // the depthwise conv (4 groups of 1 input, multiplier 2) ties stem's channels to its own; the general grouped
        // conv gc (2 groups of 4 of dw's outputs) ties in-group index i of both groups, so stem channels 0 and 2 are one
        // unit (dw outputs 0, 1, 4, 5) and 1 and 3 the other
        ChannelGroup stem = groups.producedBy("stem");
        assertEquals(List.of("stem", "dw"), stem.producers());
        assertTrue(stem.prunable(), stem.describe());
        assertEquals(2, stem.channels());
        assertArrayEquals(new int[] {0, 2}, stem.channelsOf("stem", 0));
        assertArrayEquals(new int[] {0, 1, 4, 5}, stem.channelsOf("dw", 0));
        ChannelGroup gc = groups.producedBy("gc");
        assertTrue(gc.prunable(), gc.describe());
        assertEquals(3, gc.channels(), "gc's 6 outputs in 2 groups: in-group index i of both is one channel");

        Graph p = StructuredPruner.prune(g, 0.5, FilterCriterion.l1()).pruned();
        assertEquals(2, p.param("stem.weight").value().shape().dim(0), "one unit of stem's two left: 2 filters");
        assertEquals(2, dev.nncompress.graph.ops.Conv2dOp.spec(p.node("dw")).groups());
        assertEquals(dev.nncompress.tensor.Shape.of(4, 2, 3, 3), p.param("gc.weight").value().shape(), "2 groups of 2 outputs reading 2 inputs each");
        assertEquals(2, dev.nncompress.graph.ops.Conv2dOp.spec(p.node("gc")).groups());
        assertEquals(3, p.param("pw.weight").value().shape().dim(0), "5 pointwise filters, 50% pruned");
        assertEquals(3, p.param("fc.weight").value().shape().dim(1));
        try (GraphPredictor run = new GraphPredictor(p, backend)) {
            assertEquals(2 * 3, run.logits(images(2, 1), 2).length);
        }
    }

    @Test
    void magnitudePruningZeroesGroupedWeightsAndTheSparsePlanKeepsThemDense() {
        Graph g = ConvFamilyModels.mixed(backend, 4);
        PruneTargets targets = PruneTargets.all(g);
        assertTrue(targets.layers().containsAll(List.of("dw", "gc")), targets.layers().toString());
        MaskSelection.select(new MagnitudeCriterion().scores(g, targets), 0.5, PruneScope.LAYER).applyTo(g);
        float[] dw = g.param("dw.weight").value().toFloatArray();
        long zeros = 0;
        for (float v : dw) if (v == 0f) zeros++;
        assertEquals(dw.length / 2, zeros, "half of the depthwise weights");

        float[] x = images(3, 2);
        float[] dense, sparse;
        try (GraphPredictor run = new GraphPredictor(g, backend, SparseInference.Mode.OFF)) {
            dense = run.logits(x, 3);
        }
        try (SparseInference plan = SparseInference.plan(g, backend, SparseInference.Mode.ON)) {
            assertTrue(plan.summary().contains("dense kernels only for dw, gc"), plan.summary());
            assertFalse(plan.layers().stream().filter(l -> l.node().equals("dw")).findFirst().orElseThrow().sparse());
            assertTrue(plan.layers().stream().filter(l -> l.node().equals("pw")).findFirst().orElseThrow().sparse());
        }
        try (GraphPredictor run = new GraphPredictor(g, backend, SparseInference.Mode.ON)) {
            sparse = run.logits(x, 3);
        }
        for (int i = 0; i < dense.length; i++) assertEquals(dense[i], sparse[i], 1e-5 * Math.max(1, Math.abs(dense[i])), "logit " + i);
    }

    @Test
    void int8RunsDepthwiseConvsAndKeepsOtherGroupedConvsFloatNamingThem() {
        Graph g = ConvFamilyModels.mixed(backend, 5);
        QuantTargets targets = QuantTargets.of(g);
        assertEquals(List.of("stem", "dw", "pw", "fc"), targets.weightNodes(), "dw (4 groups of 1 channel, asymmetric padding) is depthwise: int8");
        assertEquals(List.of("gc"), List.copyOf(targets.floatNodes().keySet()));
        assertTrue(targets.floatNodes().get("gc").startsWith("node gc (CONV2D, 2 groups, dilation 2x2) runs in float"), targets.floatNodes().get("gc"));

        int n = 64;
        int[] labels = new int[n];
        Dataset data = new Dataset(images(n, 6), labels, 4, 9, 8, 3);
        QuantPlan plan = new Calibrator("minmax", n, 16, null).calibrate(targets, data, backend);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        assertTrue(m.weights().containsKey("dw") && !m.weights().containsKey("gc"), "the depthwise weight is int8, the grouped one float");
        float[] x = images(4, 7);
        float[] want, got;
        try (GraphPredictor run = new GraphPredictor(g, backend)) {
            want = run.logits(x, 4);
        }
        try (Int8Runner run = new Int8Runner(m, new JavaInt8Kernels(1), backend)) {
            got = run.logits(x, 4);
            assertEquals("10 of 12 nodes in int8 (3 int8 GEMMs), 2 in float: node gc (CONV2D, 2 groups, dilation 2x2), node bn2 (BATCHNORM2D)", run.summary()); // GEMMs: stem, pw, fc; dw is the depthwise kernel
            // the grouped conv and the unfolded BN (this graph is not prepared) run in float; the ReLUs are tables on codes
            assertEquals(List.of("node gc (CONV2D, 2 groups, dilation 2x2)", "node bn2 (BATCHNORM2D)"), run.floatFallbacks());
        }
        double mag = 0;
        for (float v : want) mag = Math.max(mag, Math.abs(v));
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 0.1 * mag, "int8 logit " + i + " near the float one (8-bit activations and weights)");
        }
    }
}
