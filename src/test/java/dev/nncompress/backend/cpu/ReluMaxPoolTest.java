package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.PoolArgmax;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU backend's one-pass {@code reluMaxPool2d} and its backward against the two ops they replace (relu then
 * maxPool2d; maxPool2dBackward on relu(x) then reluBackward: {@code Backend}'s defaults), bit for bit, on values full of
 * ties, zeros of both signs, infinities and NaN, on even and odd planes; and against the reference backend. The same
 * for {@code reluMaxPool2dArgmax}, whose backward scatters by the argmax its forward recorded.
 */
class ReluMaxPoolTest {
    private static final float[] VALUES = {-2f, -1f, -0f, 0f, 0f, 0.5f, 0.5f, 1f, 1f, 3f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    @Test
    void sameBitsAsReluThenPoolBothWays() {
        CpuBackend cpu = new CpuBackend();
        Backend ref = new ReferenceBackend();
        for (Shape s : new Shape[] {Shape.of(2, 3, 6, 8), Shape.of(1, 2, 7, 9), Shape.of(3, 5, 28, 28)}) {
            SplittableRandom r = new SplittableRandom(s.numel());
            float[] x = new float[s.numel()];
            // small planes: mostly the special values; the large one: Gaussian with a few specials
            for (int i = 0; i < x.length; i++) x[i] = s.dim(2) < 28 || r.nextInt(50) == 0 ? VALUES[r.nextInt(VALUES.length)] : (float) r.nextGaussian();
            Pool2dSpec p = Pool2dSpec.square(2);
            assertTrue(CpuPool.isPlain2x2(p), "the fused kernel's case");
            Shape os = Shape.of(s.dim(0), s.dim(1), s.dim(2) / 2, s.dim(3) / 2);
            float[] g = new float[os.numel()];
            for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
            try (Tensor xt = cpu.fromFloats(x, s); Tensor gt = cpu.fromFloats(g, os);
                 Tensor y = cpu.relu(xt); Tensor pooled = cpu.maxPool2d(y, p); Tensor dy = cpu.maxPool2dBackward(y, gt, p);
                 Tensor dx = cpu.reluBackward(y, dy);
                 Tensor fused = cpu.reluMaxPool2d(xt, p); Tensor fusedDx = cpu.reluMaxPool2dBackward(xt, gt, p);
                 Tensor rx = ref.fromFloats(x, s); Tensor rg = ref.fromFloats(g, os);
                 Tensor refOut = ref.reluMaxPool2d(rx, p); Tensor refDx = ref.reluMaxPool2dBackward(rx, rg, p)) {
                PoolArgmax pa = cpu.reluMaxPool2dArgmax(xt, p);
                try (Tensor argOut = pa.output(); Tensor argIdx = pa.argmax(); Tensor argDx = cpu.reluMaxPool2dArgmaxBackward(pa, gt)) {
                    assertArrayEquals(pooled.toFloatArray(), argOut.toFloatArray(), s + ": forward recording the argmax");
                    assertArrayEquals(dx.toFloatArray(), argDx.toFloatArray(), s + ": backward by the recorded argmax");
                    for (float v : argIdx.toFloatArray()) assertTrue(v == -1f || v == 0f || v == 1f || v == 2f || v == 3f, s + ": argmax " + v);
                }
                assertArrayEquals(pooled.toFloatArray(), fused.toFloatArray(), s + ": forward");
                assertArrayEquals(dx.toFloatArray(), fusedDx.toFloatArray(), s + ": backward");
                assertArrayEquals(refOut.toFloatArray(), fused.toFloatArray(), s + ": forward against the reference");
                assertArrayEquals(refDx.toFloatArray(), fusedDx.toFloatArray(), s + ": backward against the reference");
                boolean anyGrad = false;
                for (float v : fusedDx.toFloatArray()) anyGrad |= v != 0;
                assertTrue(anyGrad, s + ": no gradient got through");
            }
        }
    }
}
