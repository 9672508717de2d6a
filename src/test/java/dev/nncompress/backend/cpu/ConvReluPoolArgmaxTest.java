package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.PoolArgmax;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The training forward's conv + bias + ReLU + 2x2 max-pool with argmax in one pass ({@code conv2dReluMaxPool2dArgmax},
 * {@link NativeConvStack#runArgmax}): on the conv output that the same kernel gives as conv2d (route STACK, the same sums
 * in the same order) its pooled maxima and argmax are {@link ReluMaxArgmax}'s bit for bit, ties, ReLU's mask, NaN and
 * infinity included; against the oneDNN / gemm routes' conv (other sums) within float rounding; and its backward through
 * the unchanged argmax scatter is the pool-then-conv chain's.
 */
class ConvReluPoolArgmaxTest {
    private static final CpuBackend CPU = new CpuBackend();

    @BeforeEach
    void needsTheKernel() { assumeTrue(NativeConvStack.available(), "no AVX-512F or no native library: the separate ops run"); }

    @AfterEach
    void autoRoute() { CpuConv.forced = null; }

    /** Student conv1/conv2, LeNet-5 conv2 (5x5 unpadded), 70 channels (a full and a masked panel), an odd 9x7 output. */
    @Test
    void argmaxAndMaximaAreReluMaxArgmaxsOnTheSameConvOutput() {
        check(new Random(1), images(4), 1, 28, 28, 8, 3, Conv2dSpec.of(1, 1), false);
        check(new Random(2), images(3), 8, 14, 14, 16, 3, Conv2dSpec.of(1, 1), false);
        check(new Random(3), images(2), 6, 14, 14, 16, 5, Conv2dSpec.of(1, 0), false);
        check(new Random(4), images(2), 5, 10, 12, 70, 3, Conv2dSpec.of(1, 1), false);
        check(new Random(5), images(3), 3, 9, 7, 12, 3, Conv2dSpec.of(1, 1), false);
    }

    /** A NaN and an infinity in the input: windows with a NaN pass no gradient, an infinite maximum passes it at its first position. */
    @Test
    void nanAndInfinityFollowReluMaxArgmax() {
        check(new Random(6), images(2), 2, 8, 8, 16, 3, Conv2dSpec.of(1, 1), true);
    }

    @Test
    void otherPoolsAndTooFewImagesAreLeftToTheSeparateOps() {
        Random r = new Random(7);
        try (Tensor x = random(r, Shape.of(images(2), 2, 8, 8)); Tensor w = random(r, Shape.of(4, 2, 3, 3)); Tensor b = random(r, Shape.of(4))) {
            assertNull(CPU.conv2dReluMaxPool2dArgmax(x, w, b, Conv2dSpec.of(1, 1), Pool2dSpec.square(3)));
            assertNull(CPU.conv2dReluMaxPool2dArgmax(x, w, b, Conv2dSpec.of(1, 1), new Pool2dSpec(2, 2, 1, 1, 0, 0)));
            if (CpuPar.threads() > 1) {
                try (Tensor one = random(r, Shape.of(1, 2, 8, 8))) {
                    assertNull(CPU.conv2dReluMaxPool2dArgmax(one, w, b, Conv2dSpec.of(1, 1), Pool2dSpec.square(2)));
                }
            }
        }
    }

    /** The JNI entry refuses an argmax for a last stage without ReLU or without a 2x2 stride-2 pool, before touching memory. */
    @Test
    void theNativeEntryRefusesAnArgmaxWithoutReluAndPlainPool() {
        // c 1, 8x8, o 4, 3x3 pad 1, ReLU, 2x2/2 pool to 4x4; then the same without ReLU, and with a 2x2 stride-1 pool to 7x7
        int[] good = {1, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 8, 1, 2, 2, 2, 2, 4, 4};
        int[] noRelu = good.clone();
        noRelu[16] = 0;
        int[] stride1 = good.clone();
        stride1[19] = 1;
        stride1[20] = 1;
        stride1[21] = 7;
        stride1[22] = 7;
        for (int[] g : new int[][] {noRelu, stride1}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> NativeConvStack.forward(1L, 64, 1L, 256, 1L, 256, 1, g, new long[] {1L}, new long[] {36}, new long[] {0}, new long[] {0}, 0, 1));
            assertTrue(e.getMessage().contains("argmax"), e.getMessage());
        }
    }

    /**
     * o channels where channel 0 has zero weights and a positive bias (a four-way tie: position 0 must win), channel 1 zero
     * weights and a negative bias (ReLU's mask: no gradient, maximum 0), the rest random.
     */
    private static void check(Random r, int n, int c, int h, int w, int o, int k, Conv2dSpec spec, boolean nonFinite) {
        float[] xs = values(r, n * c * h * w);
        if (nonFinite) {
            xs[3 * w + 2] = Float.NaN;             // image 0, channel 0, row 3
            xs[c * h * w + 6 * w + 5] = Float.POSITIVE_INFINITY; // image 1, channel 0, row 6
        }
        float[] ws = values(r, o * c * k * k);
        float[] bs = values(r, o);
        for (int i = 0; i < 2 * c * k * k; i++) ws[i] = 0;
        bs[0] = 0.5f;
        bs[1] = -0.5f;
        Pool2dSpec pool = Pool2dSpec.square(2);
        try (Tensor x = CPU.fromFloats(xs, Shape.of(n, c, h, w)); Tensor wt = CPU.fromFloats(ws, Shape.of(o, c, k, k)); Tensor b = CPU.fromFloats(bs, Shape.of(o))) {
            PoolArgmax fused = CPU.conv2dReluMaxPool2dArgmax(x, wt, b, spec, pool);
            assertNotNull(fused, "the kernel takes this conv");
            CpuConv.forced = CpuConv.Route.STACK;
            try (Tensor conv = CPU.conv2d(x, wt, b, spec)) {
                assertEquals(conv.shape(), fused.inputShape(), "the pooled tensor's input is the conv's output");
                PoolArgmax ref = CPU.reluMaxPool2dArgmax(conv, pool);
                float[] idx = fused.argmax().toFloatArray();
                assertArrayEquals(ref.argmax().toFloatArray(), idx, "argmax against ReluMaxArgmax");
                assertArrayEquals(ref.output().toFloatArray(), fused.output().toFloatArray(), "maxima against ReluMaxArgmax");
                int plane = idx.length / n / o;
                for (int i = 0; !nonFinite && i < plane; i++) { // (a NaN times a zero weight is NaN: no ties there)
                    assertEquals(0f, idx[i], "image 0, channel 0 (a four-way tie) at " + i);
                    assertEquals(-1f, idx[plane + i], "image 0, channel 1 (all negative) at " + i);
                }
                boolean positions = false;
                for (float v : idx) positions |= v >= 1;
                assertTrue(positions, "the random channels use positions 1 to 3 too");
                // the backward through the argmax: the pool-then-conv chain's gradient w.r.t. the conv output
                float[] gs = values(r, idx.length);
                try (Tensor g = CPU.fromFloats(gs, fused.output().shape()); Tensor dFused = CPU.reluMaxPool2dArgmaxBackward(fused, g);
                     Tensor dRef = CPU.reluMaxPool2dBackward(conv, g, pool)) {
                    assertArrayEquals(dRef.toFloatArray(), dFused.toFloatArray(), "gradient w.r.t. the conv output");
                }
                ref.output().close();
                ref.argmax().close();
            }
            if (!nonFinite) {
                // the oneDNN / gemm routes' conv sums in another order: maxima within rounding of the largest value
                CpuConv.forced = null;
                CpuConv.stackForward = false;
                try (Tensor conv = CPU.conv2d(x, wt, b, spec)) {
                    PoolArgmax ref = CPU.reluMaxPool2dArgmax(conv, pool);
                    float[] want = ref.output().toFloatArray(), got = fused.output().toFloatArray();
                    ref.output().close();
                    double scale = 0;
                    for (float v : want) scale = Math.max(scale, Math.abs(v));
                    for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5 * scale, "maximum " + i + " against the unfused route");
                    ref.argmax().close();
                } finally {
                    CpuConv.stackForward = true;
                }
            }
            fused.output().close();
            fused.argmax().close();
        }
    }

    private static int images(int n) { return Math.max(n, CpuPar.threads()); }

    private static float[] values(Random r, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    private static Tensor random(Random r, Shape s) { return CPU.fromFloats(values(r, s.numel()), s); }
}
