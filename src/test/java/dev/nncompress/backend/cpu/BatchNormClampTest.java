package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Unary;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fused inference epilogue {@code batchNormClampInPlace} equals batchNormInference followed by a CLIP unary
 * bit for bit, on plane sizes that take each of its paths (per-element scale under 32 floats, per channel up to
 * a chunk, chunked beyond), and batchNormInference stays within float rounding of the reference backend.
 */
class BatchNormClampTest {
    private static final CpuBackend B = new CpuBackend();
    private static final ReferenceBackend REF = new ReferenceBackend();

    @Test
    void fusedEpilogueIsBatchNormThenClipBitForBit() {
        Random r = new Random(23);
        int[][] shapes = {{1, 7, 1, 1}, {2, 5, 2, 2}, {1, 9, 4, 4}, {3, 4, 7, 7}, {1, 3, 5, 31}, {2, 3, 70, 70}};
        float[][] clamps = {{0f, 6f}, {0f, Float.POSITIVE_INFINITY}, {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}, {-1f, 0.5f}};
        for (int[] d : shapes) {
            Shape shape = Shape.of(d);
            int c = d[1];
            float[] xs = gaussian(r, shape.numel(), 0, 3);
            float[][] p = {gaussian(r, c, 1, 0.5f), gaussian(r, c, 0, 1), gaussian(r, c, 0, 1), abs(gaussian(r, c, 1, 0.5f))};
            Tensor[] cpu = new Tensor[4], ref = new Tensor[4];
            for (int i = 0; i < 4; i++) {
                cpu[i] = B.fromFloats(p[i], Shape.of(c));
                ref[i] = REF.fromFloats(p[i], Shape.of(c));
            }
            try (Tensor x = B.fromFloats(xs, shape); Tensor bn = B.batchNormInference(x, cpu[0], cpu[1], cpu[2], cpu[3], 1e-5f);
                 Tensor rx = REF.fromFloats(xs, shape); Tensor rbn = REF.batchNormInference(rx, ref[0], ref[1], ref[2], ref[3], 1e-5f)) {
                float[] want = rbn.toFloatArray(), got = bn.toFloatArray();
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-5f * Math.max(1, Math.abs(want[i])), "bn vs reference at " + i + " of " + shape);
                }
                for (float[] lh : clamps) {
                    try (Tensor clipped = B.unary(Unary.CLIP, bn, lh[0], lh[1]); Tensor y = B.fromFloats(xs, shape)) {
                        B.batchNormClampInPlace(y, cpu[0], cpu[1], cpu[2], cpu[3], 1e-5f, lh[0], lh[1]);
                        assertArrayEquals(clipped.toFloatArray(), y.toFloatArray(), "fused vs separate on " + shape + " clamp " + lh[0] + ".." + lh[1]);
                    }
                }
            }
        }
    }

    private static float[] gaussian(Random r, int n, float mean, float sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = mean + sd * (float) r.nextGaussian();
        return v;
    }

    private static float[] abs(float[] v) {
        for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]) + 0.01f;
        return v;
    }
}
