package dev.nncompress.backend.cpu;

import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link CpuLinear} (the CPU's {@code linearInference}: rows in fixed blocks, one single-threaded sgemm each, bias and
 * ReLU fused) against matmul, addRowVector and relu within float rounding, across block edges (300 rows: 128 + 128 +
 * 44), and the same bits on every call (the blocks do not depend on how many threads were idle).
 */
class CpuLinearTest {
    private static final CpuBackend CPU = new CpuBackend();

    @Test
    void matchesTheSeparateOpsAcrossBlocks() {
        Random r = new Random(5);
        try (Tensor x = random(r, 300, 97); Tensor w = random(r, 40, 97); Tensor b = random(r, 40)) {
            for (boolean relu : new boolean[] {false, true}) {
                for (Tensor bias : new Tensor[] {b, null}) {
                    float[] want;
                    try (Tensor y = CPU.matmul(x, false, w, true); Tensor yb = bias == null ? null : CPU.addRowVector(y, bias)) {
                        Tensor pre = yb == null ? y : yb;
                        try (Tensor out = relu ? CPU.relu(pre) : null) {
                            want = (out == null ? pre : out).toFloatArray();
                        }
                    }
                    float[] got;
                    try (Tensor y = CPU.linearInference(x, w, bias, relu)) {
                        assertEquals(Shape.of(300, 40), y.shape());
                        got = y.toFloatArray();
                    }
                    for (int i = 0; i < want.length; i++) {
                        if (Math.abs(want[i] - got[i]) > 1e-5 * (1 + Math.abs(want[i]))) {
                            throw new AssertionError("relu " + relu + ", bias " + (bias != null) + ", element " + i + ": " + got[i] + " vs " + want[i]);
                        }
                    }
                    if (relu) for (float v : got) if (v < 0) throw new AssertionError("negative value after ReLU: " + v);
                }
            }
        }
    }

    @Test
    void sameBitsOnEveryCall() {
        Random r = new Random(6);
        try (Tensor x = random(r, 256, 300); Tensor w = random(r, 64, 300); Tensor b = random(r, 64);
             Tensor y1 = CPU.linearInference(x, w, b, true); Tensor y2 = CPU.linearInference(x, w, b, true)) {
            assertArrayEquals(y1.toFloatArray(), y2.toFloatArray());
        }
    }

    private static Tensor random(Random r, int... dims) {
        Shape s = Shape.of(dims);
        float[] v = new float[s.numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return CPU.fromFloats(v, s);
    }
}
