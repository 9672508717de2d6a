package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.quant.QParams;
import dev.nncompress.compress.quant.QuantMetrics;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link SimulatedInt8}, {@link SimulatedAccuracy} and {@link SensitivityReport}. */
class SimulatedInt8Test {
    private final Backend backend = new ReferenceBackend();

    @Test
    void hookFakeQuantisesExactlyThePlannedTensors() {
        Graph g = CalibFixtures.prepared(Models.student(backend, 2));
        Dataset data = CalibFixtures.noise(8, 3);
        QuantPlan full = new Calibrator("minmax", 8, 8, null).calibrate(QuantTargets.of(g), data, backend);
        QuantPlan onlyConv2 = full.only("conv2");
        try (SimulatedInt8 sim = new SimulatedInt8(g, onlyConv2, backend);
             Tensor x = backend.fromFloats(data.images(), Shape.of(8, 1, 28, 28));
             GraphRunner ref = new GraphRunner(g, backend, false, 0);
             GraphRunner q = new GraphRunner(sim.graph(), backend, false, 0)) {
            ref.forward(x);
            q.forward(x, sim.hook());
            // everything before conv2 is float and untouched
            assertArrayEquals(ref.output("pool1").toFloatArray(), q.output("pool1").toFloatArray());
            // conv2's output is on the grid of its parameters: fake-quantising again changes nothing
            float[] y = q.output("conv2").toFloatArray();
            QParams a = onlyConv2.activations().get("conv2");
            assertArrayEquals(y, a.fakeQuantize(y, q.output("conv2").shape()));
            // and it is close to, not equal to, float (8-bit weights and output)
            double sqnr = QuantMetrics.sqnrDb(ref.output("conv2").toFloatArray(), y);
            assertTrue(sqnr > 25 && sqnr < 60, "conv2 SQNR " + sqnr);
            // the original graph still has float weights
            assertTrue(!Arrays.equals(g.param("conv2.weight").value().toFloatArray(), sim.graph().param("conv2.weight").value().toFloatArray()));
        }
    }

    @Test
    void sensitivityIsFiniteAndDropsForACoarseScale() {
        Graph g = CalibFixtures.prepared(Models.student(backend, 2));
        Dataset data = CalibFixtures.noise(16, 4);
        QuantPlan plan = new Calibrator("minmax", 16, 8, null).calibrate(QuantTargets.of(g), data, backend);
        SensitivityReport fine = SensitivityReport.measure(g, plan, data, backend, 8);
        // 16x the scale: about 4 bits left of the same range
        Map<String, QParams> coarseActs = new LinkedHashMap<>();
        plan.activations().forEach((k, p) -> coarseActs.put(k, coarsen(p, 16)));
        Map<String, QParams> coarseW = new LinkedHashMap<>();
        plan.weights().forEach((k, p) -> coarseW.put(k, coarsen(p, 16)));
        QuantPlan coarsePlan = new QuantPlan(plan.graphName(), "coarse", 16, coarseW, coarseActs, Set.of());
        SensitivityReport coarse = SensitivityReport.measure(g, coarsePlan, data, backend, 8);

        // input, conv1, conv2, fc1, fc2: the aliases (pools, flatten) are not layers of their own
        assertEquals(Set.of(Graph.INPUT, "conv1", "conv2", "fc1", "fc2"), names(fine));
        for (int i = 1; i < fine.layers().size(); i++) assertTrue(fine.layers().get(i - 1).sqnrDb() <= fine.layers().get(i).sqnrDb(), "sorted worst first");
        for (LayerSensitivity l : fine.layers()) {
            assertTrue(Double.isFinite(l.sqnrDb()) && l.sqnrDb() > 25, l.toString()); // ~8 bits: 6 dB per bit, minus crest factor
            assertTrue(Double.isFinite(l.logitsMse()) && l.logitsMse() > 0, l.toString());
            LayerSensitivity c = coarse.layers().stream().filter(o -> o.node().equals(l.node())).findFirst().orElseThrow();
            assertTrue(c.sqnrDb() < l.sqnrDb() - 12, l + " vs coarse " + c); // 4 bits fewer: ~24 dB less; 12 is a safe floor
            assertTrue(c.logitsMse() > l.logitsMse(), l + " vs coarse " + c);
        }
        assertTrue(fine.lines().get(2).startsWith("  " + fine.layers().get(0).node()));
        assertEquals(5, fine.toJson().get("layers").size());
    }

    @Test
    void errorSumsMatchQuantMetricsOnTheConcatenation() {
        float[] a = {1, -2, 3, 0.5f}, b = {1.1f, -2, 2.9f, 0.4f};
        ErrorSums s = new ErrorSums();
        s.add(Arrays.copyOfRange(a, 0, 1), Arrays.copyOfRange(b, 0, 1));
        s.add(Arrays.copyOfRange(a, 1, 4), Arrays.copyOfRange(b, 1, 4));
        assertEquals(QuantMetrics.sqnrDb(a, b), s.sqnrDb(), 1e-12);
        assertEquals(QuantMetrics.mse(a, b), s.mse(), 1e-15);
    }

    /**
     * Band: |int8 - float| <= 2 points on 512 test images. One image is 0.2 points; with 8-bit
     * weights and activations every layer's SQNR is > 30 dB, so only images whose top two logits are
     * within a few percent can flip, a few per hundred for a briefly trained net; 2 points (10 images)
     * covers that, while a broken plan (wrong channel, wrong scale, unquantised logits on the grid of
     * another layer) costs tens of points.
     */
    @Test
    void trainedStudentSimulatedInt8StaysWithinTwoPointsOfFloat() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        Backend cpu = Backends.defaultBackend();
        Dataset train = FashionMnist.train(FashionMnist.DEFAULT_DIR, 2000);
        Dataset test = FashionMnist.test(FashionMnist.DEFAULT_DIR, 512);
        Graph student = Models.student(cpu, 5);
        new Trainer(cpu, TrainConfig.sgdDefaults(2, 5)).fit(student, train, test, TrainListener.NONE);
        Graph g = CalibFixtures.prepared(student);
        QuantPlan plan = new Calibrator("minmax", 256, 128, 9L).calibrate(QuantTargets.of(g), train, cpu);
        SimulatedAccuracy.Result r = SimulatedAccuracy.measure(g, plan, test, cpu, 256);
        assertEquals(512, r.count());
        assertTrue(r.floatAccuracy() > 0.65, "float accuracy " + r.floatAccuracy()); // the net did learn
        assertTrue(Math.abs(r.deltaPoints()) <= 2.0, "float " + r.floatAccuracy() + " int8 " + r.int8Accuracy());
    }

    private static QParams coarsen(QParams p, float factor) {
        float[] s = p.scales();
        for (int i = 0; i < s.length; i++) s[i] *= factor;
        return new QParams(p.scheme(), s, p.zeroPoints());
    }

    private static Set<String> names(SensitivityReport r) {
        return r.layers().stream().map(LayerSensitivity::node).collect(java.util.stream.Collectors.toSet());
    }
}
