package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FitNets hint (through its adapter) and attention transfer: gradients against central differences, shape errors. */
class FeatureLossTest {
    private final Backend backend = new ReferenceBackend();
    private static final Shape STUDENT = Shape.of(3, 4, 5, 5);
    private static final Shape TEACHER = Shape.of(3, 6, 5, 5);
    // h = 1e-2 on values of order 1: truncation O(h^2) ~ 1e-4 relative, float rounding of the loss ~1e-5; tolerance
    // 1e-3 absolute + 2% relative
    private static final double H = 1e-2;

    @Test
    void hintGradientsWithRespectToStudentFeatureAndAdapterMatchCentralDifferences() {
        SplittableRandom r = new SplittableRandom(11);
        float[] s = random(r, STUDENT.numel());
        float[] t = random(r, TEACHER.numel());
        try (HintLoss hint = new HintLoss("s", "t", 4, 6, 0.7, backend, 5)) {
            float[] gs = gradStudent(hint, s, t);
            Parameter w = hint.parameters().get(0);
            float[] gw = w.grad().toFloatArray();
            float[] gb = hint.parameters().get(1).grad().toFloatArray();
            for (int i = 0; i < s.length; i += 7) {
                int at = i;
                assertNear(fd(v -> lossAt(hint, v, t), s, at), gs[at], "student feature " + at);
            }
            for (Parameter p : hint.parameters()) {
                float[] g = p == w ? gw : gb;
                float[] v = p.value().toFloatArray();
                for (int i = 0; i < v.length; i += 3) {
                    int at = i;
                    double fd = fd(vv -> {
                        p.setValue(backend.fromFloats(vv, p.value().shape()));
                        return lossAt(hint, s, t);
                    }, v, at);
                    p.setValue(backend.fromFloats(v, p.value().shape()));
                    assertNear(fd, g[at], p.name() + "[" + at + "]");
                }
            }
        }
    }

    @Test
    void attentionGradientMatchesCentralDifferences() {
        SplittableRandom r = new SplittableRandom(12);
        float[] s = random(r, STUDENT.numel());
        float[] t = random(r, TEACHER.numel());
        AttentionTransfer at = new AttentionTransfer("s", "t", 50);
        float[] g = gradStudent(at, s, t);
        for (int i = 0; i < s.length; i += 5) {
            int k = i;
            assertNear(fd(v -> lossAt(at, v, t), s, k), g[k], "student feature " + k);
        }
    }

    @Test
    void attentionOfIdenticalMapsIsZeroAndIgnoresTheChannelCount() {
        SplittableRandom r = new SplittableRandom(13);
        float[] one = random(r, 2 * 25);
        // teacher: the same map repeated over 3 channels has the same mean of squares per position
        float[] three = new float[2 * 3 * 25];
        for (int n = 0; n < 2; n++) for (int c = 0; c < 3; c++) System.arraycopy(one, n * 25, three, (n * 3 + c) * 25, 25);
        AttentionTransfer at = new AttentionTransfer("s", "t", 1);
        try (Tensor s = backend.fromFloats(one, Shape.of(2, 1, 5, 5)); Tensor t = backend.fromFloats(three, Shape.of(2, 3, 5, 5))) {
            FeatureLoss.Result res = at.compute(backend, s, t);
            res.gradStudent().close();
            assertEquals(0, res.loss(), 1e-7);
        }
    }

    @Test
    void mismatchedLayersAreRefusedByName() {
        try (HintLoss hint = new HintLoss("conv2", "conv3", 4, 6, 1, backend, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> hint.checkShapes(Shape.of(4, 14, 14), Shape.of(6, 7, 7)));
            assertTrue(e.getMessage().contains("conv2 -> conv3") && e.getMessage().contains("spatial"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> hint.checkShapes(Shape.of(8, 7, 7), Shape.of(6, 7, 7)));
            assertTrue(e.getMessage().contains("adapter is 4 -> 6"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> hint.checkShapes(Shape.of(64), Shape.of(6, 7, 7)));
            assertTrue(e.getMessage().contains("feature maps"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AttentionTransfer("a", "b", 1).checkShapes(Shape.of(4, 14, 14), Shape.of(6, 7, 7)));
        assertTrue(e.getMessage().contains("same H x W"), e.getMessage());
    }

    private float[] gradStudent(FeatureLoss f, float[] s, float[] t) {
        try (Tensor st = backend.fromFloats(s, STUDENT); Tensor tt = backend.fromFloats(t, TEACHER)) {
            try (Tensor g = f.compute(backend, st, tt).gradStudent()) {
                return g.toFloatArray();
            }
        }
    }

    /** The loss alone; adapter gradients it accumulates are cleared so they do not pile up. */
    private double lossAt(FeatureLoss f, float[] s, float[] t) {
        try (Tensor st = backend.fromFloats(s, STUDENT); Tensor tt = backend.fromFloats(t, TEACHER)) {
            Tensor[] keep = f.parameters().stream().map(Parameter::grad).toArray(Tensor[]::new);
            float[][] saved = new float[keep.length][];
            for (int i = 0; i < keep.length; i++) saved[i] = keep[i] == null ? null : keep[i].toFloatArray();
            FeatureLoss.Result r = f.compute(backend, st, tt);
            r.gradStudent().close();
            for (int i = 0; i < keep.length; i++) {
                Parameter p = f.parameters().get(i);
                p.clearGrad();
                if (saved[i] != null) p.accumulateGrad(backend.fromFloats(saved[i], p.value().shape()));
            }
            return r.loss();
        }
    }

    private interface Loss { double at(float[] v); }

    private static double fd(Loss loss, float[] v, int i) {
        float[] plus = v.clone();
        float[] minus = v.clone();
        plus[i] += (float) H;
        minus[i] -= (float) H;
        return (loss.at(plus) - loss.at(minus)) / ((double) plus[i] - minus[i]);
    }

    private static void assertNear(double fd, double analytic, String what) {
        assertEquals(fd, analytic, 1e-3 + 0.02 * Math.abs(fd), what);
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }
}
