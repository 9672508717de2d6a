package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvStage;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fused conv stack ({@link NativeConvStack}) against the separate ops it replaces (conv2d, relu, maxPool2d on the
 * same backend), within float rounding: the conv sums in another order, so the bound is relative to the largest value
 * (a dropped ReLU, a wrong pool window, a missed bias, a mis-packed weight or a stage fed the wrong buffer is off by
 * far more). Runs where the CPU has AVX-512F.
 */
class NativeConvStackTest {
    private static final CpuBackend CPU = new CpuBackend();
    private static final double TOLERANCE = 2e-5;

    @BeforeEach
    void needsTheKernel() { assumeTrue(NativeConvStack.available(), "no AVX-512F or no native library: the separate ops run"); }

    /** The teacher's three stages (1 -> 32 -> 64 -> 128 channels, 3x3 pad 1, ReLU, pools after the last two), 5 images. */
    @Test
    void teacherStagesMatchTheSeparateOps() {
        Random r = new Random(1);
        List<ConvStage> stages = List.of(stage(r, 32, 1, 3, Conv2dSpec.of(1, 1), true, true, null),
                stage(r, 64, 32, 3, Conv2dSpec.of(1, 1), true, true, Pool2dSpec.square(2)),
                stage(r, 128, 64, 3, Conv2dSpec.of(1, 1), true, true, Pool2dSpec.square(2)));
        assertMatches(input(r, images(5), 1, 28, 28), stages);
    }

    /** LeNet-5's two stages: 5x5 with pad 2 then unpadded, 6 and 16 channels (one masked vector each). */
    @Test
    void lenetStagesMatchTheSeparateOps() {
        Random r = new Random(2);
        assertMatches(input(r, images(3), 1, 28, 28), List.of(stage(r, 6, 1, 5, Conv2dSpec.of(1, 2), true, true, Pool2dSpec.square(2)),
                stage(r, 16, 6, 5, Conv2dSpec.of(1, 0), true, true, Pool2dSpec.square(2))));
    }

    /**
     * The geometry the built-in models lack: stride 2, dilation 2, asymmetric pads, 70 output channels (a full
     * 64-channel panel and a masked one), no bias, no ReLU (negative values pass), an overlapping 3x3/2 pool, a 1x1 conv.
     */
    @Test
    void stridedDilatedAsymmetricStagesMatchTheSeparateOps() {
        Random r = new Random(3);
        Conv2dSpec strided = new Conv2dSpec(2, 1, 1, 0, 2, 1, 1, 2, 1);
        assertMatches(input(r, images(4), 3, 17, 13), List.of(stage(r, 70, 3, 3, strided, false, false, new Pool2dSpec(3, 3, 2, 2, 0, 0)),
                stage(r, 20, 70, 1, Conv2dSpec.of(1, 0), true, true, null)));
    }

    @Test
    void paddedOrGroupedStagesAreLeftToTheSeparateOps() {
        Random r = new Random(4);
        try (Tensor x = input(r, images(2), 4, 8, 8); Tensor one = input(r, 1, 4, 8, 8)) {
            if (CpuPar.threads() > 1) {
                assertNull(CPU.convStack(one, List.of(stage(r, 8, 4, 3, Conv2dSpec.of(1, 1), true, true, null))),
                        "fewer images than threads are left to the separate ops, which split each layer over the threads");
            }
            assertNull(CPU.convStack(x, List.of(stage(r, 8, 4, 3, Conv2dSpec.of(1, 1), true, true, new Pool2dSpec(2, 2, 2, 2, 1, 1)))));
            assertNull(CPU.convStack(x, List.of(stage(r, 8, 2, 3, Conv2dSpec.of(1, 1).withGroups(2), true, true, null))));
        }
    }

    /** The JNI entry checks the chaining itself: a second stage that does not read the first one's output is refused. */
    @Test
    void theNativeEntryRefusesStagesThatDoNotChain() {
        int[] one = {1, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 8, 1, 0, 0, 0, 0, 8, 8};
        int[] two = one.clone();
        two[0] = 5; // reads 5 channels, the first stage gives 4
        int[] geometry = new int[2 * NativeConvStack.STAGE_INTS];
        System.arraycopy(one, 0, geometry, 0, one.length);
        System.arraycopy(two, 0, geometry, one.length, two.length);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeConvStack.forward(1L, 64, 1L, 256, 0L, 0L, 1, geometry,
                new long[] {1L, 1L}, new long[] {36, 180}, new long[] {0, 0}, new long[] {0, 0}, 0, 1));
        assertTrue(e.getMessage().contains("stage 1"), e.getMessage());
    }

    /** At least one image per thread: fewer are left to the separate ops. */
    private static int images(int n) { return Math.max(n, CpuPar.threads()); }

    private static void assertMatches(Tensor x, List<ConvStage> stages) {
        float[] want = separate(x, stages);
        float[] got;
        try (Tensor y = CPU.convStack(x, stages)) {
            assertNotNull(y, "the kernel takes these stages");
            got = y.toFloatArray();
        }
        assertEquals(want.length, got.length);
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            if (d > TOLERANCE * scale) throw new AssertionError("element " + i + ": fused " + got[i] + ", separate ops " + want[i] + " (scale " + scale + ")");
        }
        x.close();
        for (ConvStage s : stages) {
            s.weight().close();
            if (s.bias() != null) s.bias().close();
        }
    }

    private static float[] separate(Tensor x, List<ConvStage> stages) {
        List<Tensor> made = new ArrayList<>();
        Tensor t = x;
        for (ConvStage s : stages) {
            t = CPU.conv2d(t, s.weight(), s.bias(), s.spec());
            made.add(t);
            if (s.relu()) made.add(t = CPU.relu(t));
            if (s.pool() != null) made.add(t = CPU.maxPool2d(t, s.pool()));
        }
        float[] out = t.toFloatArray();
        for (Tensor m : made) m.close();
        return out;
    }

    private static ConvStage stage(Random r, int o, int c, int k, Conv2dSpec spec, boolean bias, boolean relu, Pool2dSpec pool) {
        float[] w = new float[o * c * k * k];
        double a = Math.sqrt(2.0 / (c * k * k)); // He scale: activations keep their size through the stages
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * a);
        float[] b = new float[o];
        for (int i = 0; i < o; i++) b[i] = (float) (r.nextGaussian() * 0.1);
        return new ConvStage(CPU.fromFloats(w, Shape.of(o, c, k, k)), bias ? CPU.fromFloats(b, Shape.of(o)) : null, spec, relu, pool);
    }

    private static Tensor input(Random r, int n, int c, int h, int w) {
        float[] v = new float[n * c * h * w];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return CPU.fromFloats(v, Shape.of(n, c, h, w));
    }
}
