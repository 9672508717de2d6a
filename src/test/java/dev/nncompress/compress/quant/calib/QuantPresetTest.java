package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QScheme;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.QuantizedWeight;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link QuantPreset#TENSORRT}: symmetric activations (zero point 0) and weights max|w| / 127, codes in [-127, 127]. */
class QuantPresetTest {
    private final Backend ref = new ReferenceBackend();

    @Test
    void tensorRtPresetQuantisesSymmetricallyWithNarrowWeights() {
        Graph g = CalibFixtures.prepared(Models.byName("resnet8", ref, 4));
        Dataset data = CalibFixtures.noise(16, 2);
        QuantTargets targets = QuantTargets.of(g, Set.of(), QuantPreset.TENSORRT);
        QuantPlan plan = new Calibrator("minmax", 16, 8, null).calibrate(targets, data, ref);
        for (Map.Entry<String, QParams> e : plan.activations().entrySet()) {
            assertEquals(QScheme.perTensorSymmetric(dev.nncompress.quant.QDType.INT8), e.getValue().scheme(), e.getKey());
            assertEquals(0, e.getValue().zeroPoint(0), e.getKey());
        }
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        for (Map.Entry<String, QuantizedWeight> e : m.weights().entrySet()) {
            QuantizedWeight w = e.getValue();
            float[] v = g.param(e.getKey() + ".weight").value().toFloatArray();
            int row = w.rowLength();
            for (int o = 0; o < w.outChannels(); o++) {
                float amax = 0;
                int maxCode = 0;
                for (int i = o * row; i < (o + 1) * row; i++) {
                    amax = Math.max(amax, Math.abs(v[i]));
                    assertTrue(w.codes()[i] >= -127, e.getKey() + ": code " + w.codes()[i]);
                    maxCode = Math.max(maxCode, Math.abs(w.codes()[i]));
                }
                assertEquals(amax / 127, w.scales()[o], 0f, e.getKey() + " channel " + o + ": scale max|w| / 127");
                assertEquals(127, maxCode, e.getKey() + " channel " + o + ": the largest weight is code +-127");
            }
        }
        // the default preset on the same graph: affine activations (a zero point other than 0 somewhere)
        QuantPlan affine = new Calibrator("minmax", 16, 8, null).calibrate(QuantTargets.of(g), data, ref);
        assertTrue(affine.activations().values().stream().anyMatch(q -> q.zeroPoint(0) != 0));
    }

    @Test
    void presetNamesAreChecked() {
        assertEquals(QuantPreset.TENSORRT, QuantPreset.of("tensorrt"));
        assertEquals("--preset x is not one of: default, tensorrt", assertThrows(IllegalArgumentException.class, () -> QuantPreset.of("x")).getMessage());
    }
}
