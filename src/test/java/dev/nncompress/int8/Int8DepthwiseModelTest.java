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
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.models.ConvFamilyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A depthwise conv's int8 weight goes through the int8 file like any other (written, read back, the same logits),
 * and the engine computes what the simulation does (Int8RunnerTest's tolerance: int32 sums vs float sums); an
 * int8 weight on a grouped conv that is not depthwise is refused, naming the node, since no int8 kernel takes it.
 */
class Int8DepthwiseModelTest {
    private final Backend ref = new ReferenceBackend();
    @TempDir Path tmp;

    @ParameterizedTest
    @MethodSource("dev.nncompress.int8.Int8KernelProviders#all")
    void depthwiseWeightsRoundTripAndRunAsSimulated(String kernels) {
        Graph g = CalibFixtures.prepared(ConvFamilyModels.mixed(ref, 3));
        Dataset data = noise(11, 5);
        QuantPlan plan = new Calibrator("minmax", 11, 11, null).calibrate(QuantTargets.of(g), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        assertTrue(m.weights().containsKey("dw"), "depthwise weight is int8");
        Path file = tmp.resolve("dw.safetensors");
        Int8ModelIO.save(m, file, Map.of());
        Int8Model back = Int8ModelIO.load(file).model();
        try (Int8Runner a = new Int8Runner(m, Int8KernelProviders.create(kernels, 1), ref);
             Int8Runner b = new Int8Runner(back, Int8KernelProviders.create(kernels, 1), ref)) {
            assertArrayEquals(a.logits(data.images(), data.count()), b.logits(data.images(), data.count()));
        }
        Int8RunnerTest.assertMatchesSimulation("conv family", g, plan, m, data, Int8KernelProviders.create(kernels, 1));
    }

    @Test
    void anInt8WeightOnAGroupedConvThatIsNotDepthwiseIsRefused() {
        Graph g = CalibFixtures.prepared(ConvFamilyModels.mixed(ref, 3));
        Dataset data = noise(5, 6);
        QuantPlan plan = new Calibrator("minmax", 5, 5, null).calibrate(QuantTargets.of(g), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        Map<String, QuantizedWeight> weights = new LinkedHashMap<>(m.weights());
        Map<String, FloatParam> floats = new LinkedHashMap<>(m.floats());
        FloatParam gc = floats.remove("gc.weight");
        byte[] codes = new byte[gc.values().length];
        float[] scales = new float[gc.shape().dim(0)];
        java.util.Arrays.fill(scales, 0.01f);
        weights.put("gc", new QuantizedWeight(codes, gc.shape(), scales));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Int8Model(m.name(), m.inputShape(), m.nodes(), m.output(), weights, floats, m.activations(), m.info()));
        assertTrue(e.getMessage().contains("'gc'") && e.getMessage().contains("not depthwise"), e.getMessage());
    }

    /** n Gaussian images of the conv family model's input [4, 9, 8]. */
    private static Dataset noise(int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] x = new float[n * 4 * 9 * 8];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return new Dataset(x, new int[n], 4, 9, 8, 3);
    }
}
