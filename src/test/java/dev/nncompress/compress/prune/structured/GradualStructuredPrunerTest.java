package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradual structured pruning on imported fixtures (reference backend): the schedule ends at the structure of a one-shot
 * cut, masked channels (every coupled slice) stay exactly zero through SGD with momentum and weight decay, and the cut
 * model computes what the masked model computes.
 */
class GradualStructuredPrunerTest {
    private final Backend be = new ReferenceBackend();

    private Graph fixture(String name) { return OnnxImporter.importFile(OnnxFixtures.file(name), be).graph(); }

    /** Runs {@code steps} steps of the hook without training: the masks follow the plan on the weights as they are. */
    private static void drive(GradualStructuredPruner p, int steps) {
        StepHook h = p.hook();
        for (int i = 0; i < steps; i++) {
            try (StepHook.Step s = h.begin(p.graph())) {
                s.afterBackward();
            }
            h.afterUpdate(p.graph());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"CUBIC", "ITERATIVE"})
    void endsWithTheStructureOfAOneShotCutAtTheSameSparsity(String schedule) {
        Graph dense = fixture("mobilenetv2_student");
        StructuredPruneResult oneShot = StructuredPruner.prune(dense, 0.5, FilterCriterion.l1());
        var plan = new GradualStructuredPruner.Plan(GradualStructuredPruner.Schedule.valueOf(schedule), 12, 6, 2, 3);
        try (GradualStructuredPruner p = new GradualStructuredPruner(be, dense, StructuredPruneConfig.of(0.5), FilterCriterion.l1(), plan)) {
            int[] previous = keptCounts(p);
            boolean grewGradually = false;
            for (int t = 0; t < 12; t++) {
                drive(p, 1);
                int[] now = keptCounts(p);
                for (int i = 0; i < now.length; i++) assertTrue(now[i] <= previous[i], "masks only grow");
                int[] finalCounts = keptCounts(oneShot);
                grewGradually |= !java.util.Arrays.equals(now, previous) && !java.util.Arrays.equals(now, finalCounts);
                if (schedule.equals("CUBIC") && t >= 6) assertArrayEquals(finalCounts, now, "the ramp ends at the target, step " + t);
                previous = now;
            }
            assertTrue(grewGradually, "some update lay between dense and the target");
            StructuredPruneResult r = p.finish();
            assertEquals(oneShot.pruned().parameterCount(), r.pruned().parameterCount());
            assertEquals(oneShot.report().paramsAfter(), r.report().paramsAfter());
            assertTrue(r.report().paramsAfter() < 0.6 * r.report().paramsBefore(), r.report().lines().toString());
        }
        assertEquals(fixture("mobilenetv2_student").parameterCount(), dense.parameterCount(), "the dense graph is not the one masked");
    }

    @Test
    void aRampAsLongAsTrainingStillEndsAtTheTarget() {
        Graph dense = fixture("mobilenetv2_student");
        var plan = new GradualStructuredPruner.Plan(GradualStructuredPruner.Schedule.CUBIC, 4, 4, 3, 1);
        try (GradualStructuredPruner p = new GradualStructuredPruner(be, dense, StructuredPruneConfig.of(0.5), FilterCriterion.l1(), plan)) {
            drive(p, 4); // the update due at step 4 has no step to run in
            assertEquals(StructuredPruner.prune(dense, 0.5, FilterCriterion.l1()).pruned().parameterCount(), p.finish().pruned().parameterCount());
        }
    }

    @Test
    void maskedChannelsStayZeroThroughTraining() {
        Graph dense = fixture("mobilenetv2_student");
        Dataset data = randomData(dense, 16, 3);
        var plan = new GradualStructuredPruner.Plan(GradualStructuredPruner.Schedule.CUBIC, 8, 4, 2, 1);
        try (GradualStructuredPruner p = new GradualStructuredPruner(be, dense, StructuredPruneConfig.of(0.5), FilterCriterion.groupL2(), plan)) {
            GroupChannelMasks slices = new GroupChannelMasks(p.graph(), p.groups());
            int[] checks = {0};
            StepHook checking = new StepHook() {
                private final StepHook inner = p.hook();

                @Override public Step begin(Graph trained) { return inner.begin(trained); }

                @Override
                public void afterUpdate(Graph trained) {
                    inner.afterUpdate(trained);
                    checks[0] += assertDroppedAreZero(trained, slices, p.kept());
                }
            };
            TrainConfig cfg = new TrainConfig(2, 4, new OptimizerConfig.Sgd(0.05f, 0.9f, 0.01f, false), new LrSchedule.Constant(), 7);
            String live = p.groups().prunable().get(1).producers().get(0) + ".weight";
            float[] before = p.graph().param(live).value().toFloatArray();
            new Trainer(be, cfg, checking).fit(p.graph(), data, null, TrainListener.NONE);
            assertEquals(8, p.step());
            assertTrue(checks[0] > 1000, "masked elements were checked: " + checks[0]);
            assertFalse(java.util.Arrays.equals(before, p.graph().param(live).value().toFloatArray()), "training moved the live weights");
            StructuredPruneResult r = p.finish();
            assertDroppedAreZero(p.graph(), slices, p.kept());
            for (var e : slices.masks(p.kept()).keep().entrySet()) {
                float[] v = p.graph().param(e.getKey()).value().toFloatArray();
                for (int i = 0; i < v.length; i++) if (!e.getValue()[i]) assertEquals(0, Float.floatToRawIntBits(v[i]), e.getKey() + " holds +0.0 after finish");
            }
            float[] images = PruneFixtures.randomImages(dense, 4, 11);
            PruneFixtures.assertCloseRelative(PruneFixtures.infer(p.graph(), be, images), PruneFixtures.infer(r.pruned(), be, images), 1e-5, "trained");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mobilenetv2_student", "squeezenet", "se_resnet"})
    void theCutModelGivesTheMaskedModelsLogits(String model) {
        Graph dense = fixture(model);
        PruneFixtures.randomizeBatchNorms(dense, be, 5); // running statistics far from 0 and 1: a masked channel must be 0 whatever they are
        var plan = new GradualStructuredPruner.Plan(GradualStructuredPruner.Schedule.CUBIC, 3, 2, 1, 1);
        try (GradualStructuredPruner p = new GradualStructuredPruner(be, dense, StructuredPruneConfig.of(0.5), FilterCriterion.bnGamma(), plan)) {
            drive(p, 3);
            StructuredPruneResult r = p.finish();
            assertTrue(r.report().paramsAfter() < 0.7 * r.report().paramsBefore(), r.report().lines().toString());
            float[] images = PruneFixtures.randomImages(dense, 4, 17);
            float[] masked = PruneFixtures.infer(p.graph(), be, images);
            PruneFixtures.assertCloseRelative(masked, PruneFixtures.infer(r.pruned(), be, images), 1e-5, model);
            // and the masking did something: the dense model's logits differ
            float[] full = PruneFixtures.infer(dense, be, images);
            double diff = 0;
            for (int i = 0; i < full.length; i++) diff = Math.max(diff, Math.abs(full[i] - masked[i]));
            assertTrue(diff > 1e-3, "masking changed the logits");
        }
    }

    /** A general grouped conv reads its input's group through in-group columns of its filter blocks; the masks must find them. */
    @ParameterizedTest(name = "groups {0}")
    @ValueSource(ints = {2, 4})
    void groupedConvReadersAreMaskedExactly(int groups) {
        GraphBuilder b = new GraphBuilder("gc", Shape.of(2, 6, 6), be, 9);
        String x = b.relu("r1", b.batchNorm("bn1", b.conv("c1", Graph.INPUT, 8, 3, 1, 1, true)));
        x = b.relu("r2", b.batchNorm("bn2", b.conv("gc", x, 12, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, groups), true)));
        Graph dense = b.build(b.linear("fc", b.flatten("fl", b.globalAvgPool("gap", b.conv("c2", x, 3, 1, 1, 0, true))), 2));
        PruneFixtures.randomizeBatchNorms(dense, be, 4);
        var plan = new GradualStructuredPruner.Plan(GradualStructuredPruner.Schedule.ITERATIVE, 2, 1, 1, 2);
        try (GradualStructuredPruner p = new GradualStructuredPruner(be, dense, StructuredPruneConfig.of(0.5), FilterCriterion.groupL2(), plan)) {
            assertTrue(p.groups().producedBy("gc").describe().contains("gc (1 per ch in each of " + groups + " groups)"), p.groups().producedBy("gc").describe());
            drive(p, 2);
            StructuredPruneResult r = p.finish();
            float[] images = PruneFixtures.randomImages(dense, 3, 21);
            PruneFixtures.assertCloseRelative(PruneFixtures.infer(p.graph(), be, images), PruneFixtures.infer(r.pruned(), be, images), 1e-5, "grouped " + groups);
        }
        ChannelGroup trunk = ChannelDependencies.analyze(fixture("se_resnet")).producedBy("layer3_se_fc2");
        assertTrue(trunk.describe().contains("ch, conv layer3_conv2 + linear layer3_se_fc2 + conv layer3_shortcut_0"), trunk.describe());
    }

    @Test
    void criteriaScoreEveryCoupledSlice() {
        Graph g = fixture("mobilenetv2_student");
        PruneFixtures.randomizeBatchNorms(g, be, 9);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        SplittableRandom rng = new SplittableRandom(4);
        for (var p : g.trainableParams()) { // a synthetic gradient, twice: Taylor averages the two steps
            float[] v = new float[p.value().numel()];
            for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
            p.accumulateGrad(be.fromFloats(v, p.value().shape()));
        }
        GroupTaylorCriterion taylor = new GroupTaylorCriterion();
        taylor.observe(g, groups);
        Map<String, float[]> grads1 = new java.util.HashMap<>();
        for (var p : g.trainableParams()) grads1.put(p.name(), p.grad().toFloatArray());
        for (var p : g.trainableParams()) { // second step: the gradient doubled
            p.accumulateGrad(be.fromFloats(p.grad().toFloatArray(), p.value().shape()));
        }
        taylor.observe(g, groups);
        double[][] l2 = FilterCriterion.groupL2().scores(g, groups), gamma = FilterCriterion.bnGamma().scores(g, groups), tay = taylor.scores(g, groups);
        ChannelGroup first = groups.prunable().get(0), last = groups.prunable().get(groups.prunable().size() - 1);
        assertFalse(last.linearReaders().isEmpty(), last.describe());
        for (ChannelGroup grp : new ChannelGroup[] {first, last}) {
            for (int c = 0; c < grp.channels(); c++) {
                double[] sq = {0}, wg = {0}, gs = {0};
                int ch = c;
                java.util.function.BiConsumer<String, Integer> visit = (param, i) -> {
                    float w = g.param(param).value().toFloatArray()[i];
                    sq[0] += (double) w * w;
                    wg[0] += (double) w * grads1.get(param)[i];
                };
                for (String prod : grp.producers()) {
                    var w = g.param(prod + ".weight").value();
                    int per = w.numel() / w.shape().dim(0);
                    for (int o : grp.channelsOf(prod, ch)) {
                        for (int i = o * per; i < (o + 1) * per; i++) visit.accept(prod + ".weight", i);
                        if (g.params().containsKey(prod + ".bias")) visit.accept(prod + ".bias", o);
                    }
                }
                for (String bn : grp.batchNorms()) {
                    int k = grp.channelsOf(g.node(bn).inputs().get(0), ch)[0];
                    visit.accept(bn + ".weight", k);
                    visit.accept(bn + ".bias", k);
                    gs[0] += Math.abs(g.param(bn + ".weight").value().toFloatArray()[k]);
                }
                for (String r : grp.convReaders()) {
                    var w = g.param(r + ".weight").value();
                    int k = w.numel() / (w.shape().dim(0) * w.shape().dim(1)), col = grp.channelsOf(g.node(r).inputs().get(0), ch)[0];
                    for (int o = 0; o < w.shape().dim(0); o++) for (int j = 0; j < k; j++) visit.accept(r + ".weight", (o * w.shape().dim(1) + col) * k + j);
                }
                for (ChannelGroup.LinearReader l : grp.linearReaders()) {
                    var w = g.param(l.node() + ".weight").value();
                    int f = l.featuresPerChannel(), col = grp.channelsOf(g.node(l.node()).inputs().get(0), ch)[0];
                    for (int o = 0; o < w.shape().dim(0); o++) for (int j = 0; j < f; j++) visit.accept(l.node() + ".weight", o * w.shape().dim(1) + col * f + j);
                }
                String what = "group " + grp.id() + " channel " + c;
                assertEquals(Math.sqrt(sq[0]), l2[grp.id()][c], 1e-9 * Math.sqrt(sq[0]), "group L2 of " + what);
                assertEquals(gs[0], gamma[grp.id()][c], 1e-9 * gs[0], "|gamma| of " + what);
                double expected = (wg[0] * wg[0] + 4 * wg[0] * wg[0]) / 2; // steps with g and 2g, averaged
                assertEquals(expected, tay[grp.id()][c], 1e-6 * expected, "Taylor of " + what);
            }
        }
        taylor.reset();
        assertArrayEquals(l2[first.id()], taylor.scores(g, groups)[first.id()], "nothing observed since the reset: group L2");
        for (var p : g.trainableParams()) p.clearGrad();
        assertThrows(IllegalArgumentException.class, () -> new GradualStructuredPruner.Plan(GradualStructuredPruner.Schedule.CUBIC, 0, 1, 1, 1));
    }

    /** Steps of the hook with a synthetic gradient on every parameter (seeded), so the Taylor criterion has something to read. */
    private static void driveWithGradients(GradualStructuredPruner p, Backend be, int steps, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        StepHook h = p.hook();
        for (int t = 0; t < steps; t++) {
            try (StepHook.Step s = h.begin(p.graph())) {
                for (var prm : p.graph().trainableParams()) {
                    float[] v = new float[prm.value().numel()];
                    for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
                    prm.clearGrad();
                    prm.accumulateGrad(be.fromFloats(v, prm.value().shape()));
                }
                s.afterBackward();
            }
            h.afterUpdate(p.graph());
        }
        for (var prm : p.graph().trainableParams()) prm.clearGrad();
    }

    @Test
    void aCheckpointRestoresTheStepTheMasksAndTheTaylorSums() {
        Graph dense = fixture("mobilenetv2_student");
        var plan = new GradualStructuredPruner.Plan(GradualStructuredPruner.Schedule.CUBIC, 12, 8, 3, 1);
        FilterCriterion ta = FilterCriterion.taylor(), tb = FilterCriterion.taylor();
        try (GradualStructuredPruner a = new GradualStructuredPruner(be, dense, StructuredPruneConfig.of(0.5), ta, plan);
             GradualStructuredPruner b = new GradualStructuredPruner(be, dense, StructuredPruneConfig.of(0.5), tb, plan)) {
            driveWithGradients(a, be, 5, 1); // updates before steps 0 and 3; steps 4 and 5 observed since
            b.hook().restoreCheckpointState(dev.nncompress.train.StateTensors.of(a.hook().checkpointState()));
            assertEquals(5, b.step());
            assertEquals(a.kept().keySet(), b.kept().keySet());
            a.kept().forEach((id, k) -> assertArrayEquals(k, b.kept().get(id), "group " + id));
            double[][] sa = ta.scores(a.graph(), a.groups()), sb = tb.scores(b.graph(), b.groups());
            for (ChannelGroup g : a.groups().prunable()) assertArrayEquals(sa[g.id()], sb[g.id()], "Taylor sums of group " + g.id());
            assertFalse(java.util.Arrays.equals(sa[a.groups().prunable().get(0).id()],
                    FilterCriterion.groupL2().scores(a.graph(), a.groups())[a.groups().prunable().get(0).id()]), "the sums are not the fallback");
            driveWithGradients(a, be, 4, 2);
            driveWithGradients(b, be, 4, 2);
            a.kept().forEach((id, k) -> assertArrayEquals(k, b.kept().get(id), "after the next update, group " + id));
        }
    }

    /** Every element a dropped channel owns is exactly 0; returns how many were checked. */
    private static int assertDroppedAreZero(Graph g, GroupChannelMasks slices, Map<Integer, int[]> kept) {
        int n = 0;
        for (var e : kept.entrySet()) {
            for (var s : slices.slices(e.getKey()).entrySet()) {
                float[] v = g.param(s.getKey()).value().toFloatArray();
                for (int c = 0; c < s.getValue().length; c++) {
                    if (java.util.Arrays.binarySearch(e.getValue(), c) >= 0) continue;
                    for (int i : s.getValue()[c]) {
                        // while training a product may leave -0.0; finish() writes +0.0 (checked by the caller)
                        assertTrue(v[i] == 0f, s.getKey() + "[" + i + "] of dropped channel " + c + " of group " + e.getKey() + " is " + v[i]);
                        n++;
                    }
                }
            }
        }
        return n;
    }

    private static Dataset randomData(Graph g, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = rng.nextInt(10);
        var s = g.inputShape();
        return new Dataset(PruneFixtures.randomImages(g, n, seed), labels, s.dim(0), s.dim(1), s.dim(2), 10);
    }

    private static int[] keptCounts(GradualStructuredPruner p) { return p.kept().values().stream().mapToInt(k -> k.length).toArray(); }

    private static int[] keptCounts(StructuredPruneResult r) {
        return r.report().groups().stream().filter(o -> o.note() == null).mapToInt(StructuredPruneReport.GroupOutcome::after).toArray();
    }
}
