package dev.nncompress.backend.cpu;

import dev.nncompress.bench.CompressionSteps;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * QAT steps on the CPU backend with the native fake quantisation and min/max ({@link NativeFakeQuant}, issue 23) give the
 * weights the Java loops give, bit for bit: the same activation ranges, the same fake-quantised values, the same masks.
 */
class NativeQatStepTest {
    private static final int BEST = NativeFakeQuant.variant;

    @AfterEach void bestVariant() { NativeFakeQuant.variant = BEST; }

    @Test
    void nativeAndJavaQatStepsGiveTheSameWeights() {
        assumeTrue(BEST >= 0, "native library not built: " + NativeLibrary.load().reason());
        CpuBackend cpu = new CpuBackend();
        int batch = 16;
        float[] images = new float[batch * 28 * 28];
        int[] labels = new int[batch];
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
        for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
        for (String model : new String[] {"student", "lenet5"}) {
            NativeFakeQuant.variant = -1;
            Map<String, float[]> java = steps(cpu, model, images, labels, batch);
            NativeFakeQuant.variant = BEST;
            Map<String, float[]> nat = steps(cpu, model, images, labels, batch);
            assertEquals(java.keySet(), nat.keySet());
            for (String p : java.keySet()) assertArrayEquals(java.get(p), nat.get(p), 0f, model + " " + p);
        }
    }

    /** The weights after three QAT steps on one batch. */
    private static Map<String, float[]> steps(CpuBackend cpu, String model, float[] images, int[] labels, int batch) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (CompressionSteps.Step step = CompressionSteps.qat(Models.byName(model, cpu, 1), cpu, images, labels, batch)) {
            for (int i = 0; i < 3; i++) step.run();
            Graph g = step.graph();
            for (Map.Entry<String, Parameter> e : g.params().entrySet()) out.put(e.getKey(), e.getValue().value().toFloatArray());
        }
        return out;
    }
}
