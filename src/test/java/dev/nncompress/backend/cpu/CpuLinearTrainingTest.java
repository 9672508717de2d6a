package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The training linear layer's one-call ops equal the separate ones bit for bit: {@code linearForward} = matmul,
 * addRowVector, relu; {@code reluBackwardSumRows} = reluBackward, sumRows; on the CPU's one-pass loops (rows split over
 * threads, rows longer than a chunk) and the defaults (reference), with NaN, infinities and -0 among the values.
 */
class CpuLinearTrainingTest {
    @Test
    void linearForwardIsMatmulAddRowVectorRelu() {
        for (Backend b : new Backend[] {new CpuBackend(), new ReferenceBackend()}) {
            for (int[] mkn : new int[][] {{64, 784, 64}, {3, 5, 5000}, {300, 40, 600}}) {
                SplittableRandom r = new SplittableRandom(mkn[2]);
                Tensor x = b.fromFloats(values(r, mkn[0] * mkn[1], false), Shape.of(mkn[0], mkn[1]));
                Tensor w = b.fromFloats(values(r, mkn[2] * mkn[1], false), Shape.of(mkn[2], mkn[1]));
                Tensor bias = b.fromFloats(values(r, mkn[2], true), Shape.of(mkn[2]));
                for (boolean relu : new boolean[] {false, true}) {
                    for (Tensor bb : new Tensor[] {bias, null}) {
                        Tensor y = b.matmul(x, false, w, true);
                        if (bb != null) y = b.addRowVector(y, bb);
                        if (relu) y = b.relu(y);
                        assertArrayEquals(y.toFloatArray(), b.linearForward(x, w, bb, relu).toFloatArray(),
                                b.name() + " " + mkn[0] + "x" + mkn[1] + "x" + mkn[2] + " relu " + relu + " bias " + (bb != null));
                    }
                }
            }
        }
    }

    @Test
    void reluBackwardSumRowsIsReluBackwardThenSumRows() {
        for (Backend b : new Backend[] {new CpuBackend(), new ReferenceBackend()}) {
            for (int[] shape : new int[][] {{64, 64}, {2, 5000}, {700, 300}, {1, 3}}) {
                SplittableRandom r = new SplittableRandom(shape[1]);
                Tensor y = b.fromFloats(values(r, shape[0] * shape[1], true), Shape.of(shape[0], shape[1]));
                Tensor g = b.fromFloats(values(r, shape[0] * shape[1], false), Shape.of(shape[0], shape[1]));
                Tensor dz = b.reluBackward(y, g);
                Tensor[] fused = b.reluBackwardSumRows(y, g);
                String what = b.name() + " " + shape[0] + "x" + shape[1];
                assertArrayEquals(dz.toFloatArray(), fused[0].toFloatArray(), what + " dz");
                assertArrayEquals(b.sumRows(dz).toFloatArray(), fused[1].toFloatArray(), what + " db");
            }
        }
    }

    /** Gaussians, with {@code special} a sprinkling of NaN, +-infinity, -0 and 0. */
    private static float[] values(SplittableRandom r, int n, boolean special) {
        float[] v = new float[n];
        float[] odd = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f};
        for (int i = 0; i < n; i++) v[i] = special && r.nextInt(50) == 0 ? odd[r.nextInt(odd.length)] : (float) r.nextGaussian();
        return v;
    }
}
