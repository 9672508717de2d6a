package dev.nncompress.int8;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.JavaInt8Kernels;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.calib.SimulatedInt8;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 17's vision models end to end in int8: each ONNX fixture imported, prepared (BN folded, ReLU fused),
 * calibrated (minmax) on its own 8 inputs, converted, run by the int8 engine on those inputs and compared
 * <ul>
 *   <li>with the simulation of the same plan (every step of the engine computes what the simulation does but
 *       for the int32 sums of convs and pools, which round differently from float sums): at least 90% of the
 *       logit codes identical and none more than 3 codes apart;</li>
 *   <li>with the float model (ONNX Runtime's logits, recorded in the fixture): the same top-1 class on at least
 *       7 of the 8 inputs, and logits within 10% of the largest float logit magnitude (8-bit weights and
 *       activations through 50 to 75 layers);</li>
 *   <li>and it names exactly the nodes that still run in float.</li>
 * </ul>
 */
class OnnxInt8Test {
    private final Backend ref = new ReferenceBackend();

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "mobilenetv2; ",
            "squeezenet; ",
            "se_resnet; "})
    void fixtureRunsInInt8CloseToFloatAndToTheSimulation(String name, String fallbacks) {
        JsonNode expected = OnnxFixtures.expected(name);
        assumeTrue(!OnnxFixtures.needsDataset(expected) || OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        OnnxFixtures.Input in = OnnxFixtures.inputs(expected);
        float[][] want = OnnxFixtures.logits(expected);
        int n = in.samples(), classes = want[0].length;
        Graph g = GraphPreparation.forInference(OnnxImporter.importFile(OnnxFixtures.file(name), ref).graph()).graph();
        Dataset data = new Dataset(in.values(), new int[n], (int) in.shape()[1], (int) in.shape()[2], (int) in.shape()[3], classes);
        QuantPlan plan = new Calibrator("minmax", n, n, null).calibrate(QuantTargets.of(g), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        float[] got;
        try (Int8Runner r = new Int8Runner(m, new JavaInt8Kernels(2), ref)) {
            got = r.logits(in.values(), n);
            assertEquals(fallbacks == null ? List.of() : List.of(fallbacks.split(", ")), r.floatFallbacks(), name + ": the nodes run in float");
        }
        float[] sim;
        try (SimulatedInt8 s = new SimulatedInt8(g, plan, ref);
             GraphRunner run = new GraphRunner(s.graph(), ref, false, 0);
             Tensor x = ref.fromFloats(in.values(), GraphPredictor.batchShape(g.inputShape(), n))) {
            sim = run.forward(x, s.hook()).toFloatArray();
        }
        float step = plan.activations().get(g.output()).scale(0);
        int same = 0, agree = 0;
        double worstCodes = 0;
        for (int i = 0; i < sim.length; i++) {
            double d = Math.abs(sim[i] - got[i]) / step;
            if (d < 0.5) same++;
            worstCodes = Math.max(worstCodes, d);
        }
        for (int i = 0; i < n; i++) if (argmax(got, i * classes, classes) == argmax(want[i], 0, classes)) agree++;
        double rel = OnnxFixtures.maxRelativeError(got, want);
        System.out.printf(Locale.ROOT, "%-12s int8 vs simulation: %d/%d logit codes identical, worst %.0f codes; vs float: top-1 %d/%d, "
                + "max relative logit error %.4f%n", name, same, sim.length, worstCodes, agree, n, rel);
        assertTrue(same >= 0.9 * sim.length && worstCodes <= 3, name + ": " + same + " of " + sim.length + " codes as simulated, worst " + worstCodes);
        assertTrue(agree >= n - 1, name + ": top-1 agrees with float on " + agree + " of " + n);
        assertTrue(rel <= 0.1, name + ": max relative logit error " + rel);
    }

    private static int argmax(float[] v, int from, int len) {
        int best = 0;
        for (int j = 1; j < len; j++) if (v[from + j] > v[from + best]) best = j;
        return best;
    }
}
