package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.ModelIO;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static dev.nncompress.compress.prune.structured.PruneFixtures.assertCloseRelative;
import static dev.nncompress.compress.prune.structured.PruneFixtures.inChannels;
import static dev.nncompress.compress.prune.structured.PruneFixtures.infer;
import static dev.nncompress.compress.prune.structured.PruneFixtures.outChannels;
import static dev.nncompress.compress.prune.structured.PruneFixtures.randomImages;
import static dev.nncompress.compress.prune.structured.PruneFixtures.setChannel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StructuredPrunerTest {
    private final Backend backend = new ReferenceBackend();

    /**
     * Channels whose filters and biases are all zero contribute exactly 0 downstream (relu(0) = 0, pools
     * of 0 are 0), so cutting them out changes only the order of float additions in the next layer.
     * Tolerance: 1e-5 * max |logit|.
     */
    @Test
    void removingZeroFiltersLeavesStudentOutputsUnchanged() {
        Graph g = Models.student(backend, 3);
        int[] dead1 = {1, 4, 6}, dead2 = {0, 3, 5, 8, 9, 12, 14, 15};
        for (int c : dead1) zeroFilter(g, "conv1", c);
        for (int c : dead2) zeroFilter(g, "conv2", c);
        float[] x = randomImages(g, 16, 7);
        float[] before = infer(g, backend, x);

        // linear sparsity 0: conv channels only (fc1's neurons have their own masking test in NeuronPruningTest)
        StructuredPruneConfig cfg = StructuredPruneConfig.of(0.5).withLinearSparsity(0.0).withLayerSparsity(Map.of("conv1", 3.0 / 8));
        StructuredPruneResult r = StructuredPruner.prune(g, cfg, FilterCriterion.l1());

        assertArrayEquals(new int[] {0, 2, 3, 5, 7}, r.report().groups().get(0).kept()); // the L1 = 0 filters went
        assertArrayEquals(new int[] {1, 2, 4, 6, 7, 10, 11, 13}, r.report().groups().get(1).kept());
        Graph p = r.pruned();
        assertEquals(5, outChannels(p, "conv1"));
        assertEquals(5, inChannels(p, "conv2"));
        assertEquals(8, outChannels(p, "conv2"));
        assertEquals(8 * 49, p.param("fc1.weight").value().shape().dim(1));
        assertEquals(64, p.param("fc1.weight").value().shape().dim(0));
        assertCloseRelative(before, infer(p, backend, x), 1e-5, "student with zero filters removed");
    }

    /**
     * resnet8 with random batch-norm statistics: zero filters in every producer of a residual group plus
     * BN beta = running_mean = 0 on those channels make them exactly 0 through BN, ADD and ReLU, so surgery
     * must give the same logits (tolerance 1e-5 * max |logit|) - only if every BN, shortcut and reader of
     * the group is sliced with the same channel list.
     */
    @Test
    void resnet8SurgeryKeepsResidualGroupsAndBatchNormsConsistent() {
        Graph g = Models.resnet8(backend, 5);
        PruneFixtures.randomizeBatchNorms(g, backend, 11);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        Map<Integer, int[]> dead = new LinkedHashMap<>();
        for (ChannelGroup grp : groups.prunable()) {
            int[] d = new int[grp.channels() / 2];
            for (int i = 0; i < d.length; i++) d[i] = (i * 7 + grp.id()) % grp.channels(); // spread, distinct (7 is odd)
            dead.put(grp.id(), d);
            for (int c : d) {
                for (String conv : grp.producers()) setChannel(g, backend, conv + ".weight", c, 0f);
                for (String bn : grp.batchNorms()) {
                    setChannel(g, backend, bn + ".bias", c, 0f);
                    setChannel(g, backend, bn + ".running_mean", c, 0f);
                }
            }
        }
        float[] x = randomImages(g, 8, 3);
        float[] before = infer(g, backend, x);

        StructuredPruneResult r = StructuredPruner.prune(g, 0.5, FilterCriterion.l2());
        Graph p = r.pruned();
        for (ChannelGroup grp : groups.prunable()) {
            int[] kept = r.report().groups().get(grp.id()).kept();
            assertEquals(grp.channels() / 2, kept.length);
            for (int c : dead.get(grp.id())) assertTrue(java.util.Arrays.binarySearch(kept, c) < 0, "group " + grp.id() + " kept dead " + c);
            for (String conv : grp.producers()) assertEquals(kept.length, outChannels(p, conv), conv);
            for (String conv : grp.convReaders()) assertEquals(kept.length, inChannels(p, conv), conv);
            for (String bn : grp.batchNorms()) {
                for (String s : new String[] {"weight", "bias", "running_mean", "running_var"}) {
                    assertEquals(kept.length, p.param(bn + "." + s).value().numel(), bn + "." + s);
                }
            }
        }
        assertEquals(32, p.param("fc.weight").value().shape().dim(1));
        assertEquals(10, p.param("fc.weight").value().shape().dim(0)); // the logits are never pruned
        assertCloseRelative(before, infer(p, backend, x), 1e-5, "resnet8 with dead channels removed");
        // and the analysis of the pruned graph finds the same groups at half width
        ChannelGroups after = ChannelDependencies.analyze(p);
        for (ChannelGroup grp : groups.prunable()) assertEquals(grp.channels() / 2, after.get(grp.id()).channels());
    }

    @Test
    void parameterCountsShrinkAsComputedByHand() {
        Graph g = Models.student(backend, 0);
        StructuredPruneResult r = StructuredPruner.prune(g, 0.5, FilterCriterion.l1());
        // conv1 8->4 filters of 1x3x3 (+bias), conv2 16->8 filters of 4x3x3 (+bias), fc1 64->32 neurons x (8*7*7) (+bias),
        // fc2 10 outputs (never pruned) x 32 inputs (+bias)
        long expected = (4 * 9 + 4) + (8 * 4 * 9 + 8) + (32L * 8 * 49 + 32) + (10 * 32 + 10);
        assertEquals(52_138, r.report().paramsBefore());
        assertEquals(expected, r.report().paramsAfter());
        assertEquals(expected, r.pruned().parameterCount());
        assertTrue(r.report().lines().get(0).contains("52,138 -> 13,242"), r.report().lines().get(0));
        assertEquals("  fc1                                        64 ->   32 neurons", r.report().lines().get(3));
        // conv channels only, as before hidden neurons were pruned: fc1 keeps its 64 outputs
        long convsOnly = StructuredPruner.prune(g, StructuredPruneConfig.of(0.5).withLinearSparsity(0.0), FilterCriterion.l1()).pruned().parameterCount();
        assertEquals(expected + 32L * 8 * 49 + 32 + 10 * 32, convsOnly);
    }

    @Test
    void roundToKeepsMultiplesAndNeverPrunesMoreThanAsked() {
        StructuredPruneConfig c8 = StructuredPruneConfig.of(0.5).withRoundTo(8);
        assertEquals(8, c8.keepCount(16, 0.5));
        assertEquals(8, c8.keepCount(16, 0.7));  // removes floor(11.2) = 11, keeps 5, rounds up to 8
        assertEquals(16, c8.keepCount(16, 0.4)); // keeps 10 -> 16
        assertEquals(6, c8.keepCount(6, 0.5));   // never above the group's width
        StructuredPruneConfig c1 = StructuredPruneConfig.of(0.5);
        assertEquals(1, c1.keepCount(3, 0.99));  // at least one channel
        assertEquals(12, c1.keepCount(16, 0.3)); // floor(4.8) = 4 removed
        assertEquals(16, c1.keepCount(16, 0.0));

        Graph teacher = Models.teacher(backend, 0);
        Graph p = StructuredPruner.prune(teacher, StructuredPruneConfig.of(0.6).withRoundTo(8), FilterCriterion.l1()).pruned();
        assertEquals(16, outChannels(p, "conv1")); // 32: removes 19, keeps 13 -> 16
        assertEquals(32, outChannels(p, "conv2")); // 64: removes 38, keeps 26 -> 32
        assertEquals(56, outChannels(p, "conv3")); // 128: removes 76, keeps 52 -> 56
    }

    @Test
    void excludedAndZeroSparsityGroupsStayWholeAndTheSourceIsUntouched() {
        Graph g = Models.student(backend, 2);
        Map<String, float[]> snapshot = new LinkedHashMap<>();
        for (Parameter prm : g.params().values()) snapshot.put(prm.name(), prm.value().toFloatArray());
        StructuredPruneResult r = StructuredPruner.prune(g, StructuredPruneConfig.of(0.5).withExclude(Set.of("conv2")), FilterCriterion.l2());
        assertEquals(4, outChannels(r.pruned(), "conv1"));
        assertEquals(16, outChannels(r.pruned(), "conv2"));
        assertEquals("excluded", r.report().groups().get(1).note());
        for (var e : snapshot.entrySet()) assertArrayEquals(e.getValue(), g.param(e.getKey()).value().toFloatArray(), 0f, e.getKey());
        assertEquals(8, outChannels(g, "conv1"));

        float[] x = randomImages(g, 4, 1);
        Graph same = StructuredPruner.prune(g, 0.0, FilterCriterion.l1()).pruned();
        assertArrayEquals(infer(g, backend, x), infer(same, backend, x), 0f);
    }

    @Test
    void badSparsityAndUnknownLayersAreClearErrors() {
        Graph g = Models.student(backend, 0);
        for (double s : new double[] {1.5, -0.1, 1.0, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StructuredPruner.prune(g, s, FilterCriterion.l1()));
            assertTrue(e.getMessage().contains("sparsity must be in [0, 1)") && e.getMessage().contains("got " + s), e.getMessage());
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> StructuredPruner.prune(g,
                StructuredPruneConfig.of(0.5).withLayerSparsity(Map.of("conv9", 0.5)), FilterCriterion.l1()));
        assertEquals("unknown layer 'conv9': not a conv or linear of student; its layers are [conv1, conv2, fc1, fc2]", unknown.getMessage());
        IllegalArgumentException notLayer = assertThrows(IllegalArgumentException.class, () -> StructuredPruner.prune(g,
                StructuredPruneConfig.of(0.5).withExclude(Set.of("relu3")), FilterCriterion.l1()));
        assertTrue(notLayer.getMessage().startsWith("unknown layer 'relu3'"), notLayer.getMessage());
        IllegalArgumentException classifier = assertThrows(IllegalArgumentException.class, () -> StructuredPruner.prune(g,
                StructuredPruneConfig.of(0.5).withLayerSparsity(Map.of("fc2", 0.5)), FilterCriterion.l1()));
        assertTrue(classifier.getMessage().startsWith("layer fc2 cannot be pruned: reaches the graph output"), classifier.getMessage());
        IllegalArgumentException linear = assertThrows(IllegalArgumentException.class, () -> StructuredPruneConfig.of(0.5).withLinearSparsity(1.0));
        assertTrue(linear.getMessage().contains("linear sparsity must be in [0, 1)"), linear.getMessage());
        IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                () -> StructuredPruneConfig.of(0.5).withLayerSparsity(Map.of("conv1", 1.0)));
        assertTrue(layer.getMessage().contains("sparsity of layer conv1 must be in [0, 1)"), layer.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StructuredPruneConfig.of(0.5).withRoundTo(0));
    }

    @Test
    void residualGroupWithTwoDifferentSparsitiesIsRejected() {
        Graph g = Models.resnet8(backend, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StructuredPruner.prune(g,
                StructuredPruneConfig.of(0.5).withLayerSparsity(Map.of("layer2_conv2", 0.25, "layer2_down_conv", 0.5)), FilterCriterion.l1()));
        assertTrue(e.getMessage().contains("share their output channels"), e.getMessage());
    }

    @Test
    void surgeryRejectsBadChannelLists() {
        Graph g = Models.student(backend, 0);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        assertThrows(IllegalArgumentException.class, () -> ChannelSurgery.apply(g, groups, Map.of(0, new int[0])));
        assertThrows(IllegalArgumentException.class, () -> ChannelSurgery.apply(g, groups, Map.of(0, new int[] {3, 1})));
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> ChannelSurgery.apply(g, groups, Map.of(0, new int[] {0, 8})));
        assertEquals("group 0 (conv1): channel 8 is out of range 0..7", range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ChannelSurgery.apply(g, groups, Map.of(5, new int[] {0})));
    }

    @Test
    void prunedGraphSavesAndLoadsWithTheSameOutputs(@TempDir Path dir) {
        Graph p = StructuredPruner.prune(Models.resnet8(backend, 1), 0.5, FilterCriterion.l1()).pruned();
        Path f = dir.resolve("pruned.safetensors");
        ModelIO.save(p, f, Map.of());
        Graph loaded = ModelIO.load(f, backend).graph();
        float[] x = randomImages(p, 2, 9);
        assertArrayEquals(infer(p, backend, x), infer(loaded, backend, x), 0f);
    }

    private void zeroFilter(Graph g, String conv, int c) {
        setChannel(g, backend, conv + ".weight", c, 0f);
        setChannel(g, backend, conv + ".bias", c, 0f);
    }
}
