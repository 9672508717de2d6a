package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QScheme;
import dev.nncompress.quant.QDType;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The straight-through estimator in the graph path: {@link FakeQuantizeHook} (activations) and
 * {@link FakeQuantizedWeights#passGradients} (weights) let the gradient through where the forward's code was
 * inside [-128, 127] and zero it where it was clamped. Expected gradients are written out by hand here.
 */
class StraightThroughTest {
    private final Backend backend = new ReferenceBackend();
    private static final int N = 3, IN = 4, HID = 5, OUT = 2;

    /** flatten -> fc1 (4 -> 5) -> fc2 (5 -> 2), on 1x2x2 inputs. */
    private Graph twoLinears() {
        GraphBuilder b = new GraphBuilder("two", Shape.of(1, 2, 2), backend, 1);
        return b.build(b.linear("fc2", b.linear("fc1", b.flatten("flatten", Graph.INPUT), HID), OUT));
    }

    private static float[] input() {
        SplittableRandom r = new SplittableRandom(9);
        float[] x = new float[N * IN];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 4 - 2);
        return x;
    }

    @Test
    void activationGradientPassesInsideTheRangeAndIsZeroWhereClamped() {
        Graph g = twoLinears();
        float[] xv = input();
        try (Tensor x = backend.fromFloats(xv, Shape.of(N, 1, 2, 2));
             Tensor ones = backend.fromFloats(filled(N * OUT, 1f), Shape.of(N, OUT))) {
            float[] h;
            try (GraphRunner plain = new GraphRunner(g, backend, false, 0)) {
                plain.forward(x);
                h = plain.output("fc1").toFloatArray();
            }
            // a range of the median |h|: about half of fc1's outputs clamp
            float[] abs = new float[h.length];
            for (int i = 0; i < h.length; i++) abs[i] = Math.abs(h[i]);
            Arrays.sort(abs);
            float r = abs[abs.length / 2];
            QParams p = QParams.fromRange(QuantTargets.ACTIVATION_SCHEME, -r, r);
            float s = p.scale(0);
            byte[] mask = new byte[h.length];
            float[] hq = new float[h.length];
            for (int i = 0; i < h.length; i++) {
                float code = (float) Math.rint(h[i] / s) + p.zeroPoint(0);
                mask[i] = (byte) (code >= -128 && code <= 127 ? 1 : 0);
                hq[i] = (Math.max(-128, Math.min(127, code)) - p.zeroPoint(0)) * s;
            }
            int passed = 0;
            for (byte m : mask) passed += m;
            assertTrue(passed > 0 && passed < mask.length, "both cases occur: " + passed + " of " + mask.length + " in range");

            try (GraphRunner run = new GraphRunner(g, backend, true, 0)) {
                GraphRunner.OutputHook hook = FakeQuantizeHook.of(Map.of("fc1", p));
                run.forward(x, hook);
                assertArrayEquals(hq, run.output("fc1").toFloatArray(), "forward reads the fake-quantised values");
                run.backward(ones, hook);
            }
            // d loss / d h1[n][j] = sum_k w2[k][j] (gradOutput = 1), masked; dW1[j][i] = sum_n g[n][j] x[n][i]
            float[] w2 = g.param("fc2.weight").value().toFloatArray();
            float[] dW1 = new float[HID * IN], dW1Unmasked = new float[HID * IN], dW2 = new float[OUT * HID];
            for (int n = 0; n < N; n++) {
                for (int j = 0; j < HID; j++) {
                    float gj = 0;
                    for (int k = 0; k < OUT; k++) gj += w2[k * HID + j];
                    for (int i = 0; i < IN; i++) {
                        dW1Unmasked[j * IN + i] += gj * xv[n * IN + i];
                        dW1[j * IN + i] += mask[n * HID + j] * gj * xv[n * IN + i];
                    }
                    for (int k = 0; k < OUT; k++) dW2[k * HID + j] += hq[n * HID + j];
                }
            }
            assertArrayEquals(dW1, g.param("fc1.weight").grad().toFloatArray(), 1e-5f);
            assertArrayEquals(dW2, g.param("fc2.weight").grad().toFloatArray(), 1e-5f);
            assertFalse(Arrays.equals(dW1, dW1Unmasked), "the mask changed the gradient");
        }
    }

    @Test
    void weightGradientReachesTheFloatWeightOnlyWhereTheCodeWasNotClamped() {
        Graph g = twoLinears();
        float[] w = g.param("fc1.weight").value().toFloatArray();
        // per output channel: a scale of max|w| / 200, so weights above ~0.64 max|w| clamp
        QScheme perChannel = QScheme.perChannelSymmetric(QDType.INT8, 0);
        float[] scales = new float[HID];
        for (int j = 0; j < HID; j++) {
            for (int i = 0; i < IN; i++) scales[j] = Math.max(scales[j], Math.abs(w[j * IN + i]));
            scales[j] /= 200;
        }
        QParams q = new QParams(perChannel, scales, new int[HID]);
        byte[] mask = new byte[w.length];
        for (int k = 0; k < w.length; k++) {
            float code = (float) Math.rint(w[k] / scales[k / IN]);
            mask[k] = (byte) (code >= -128 && code <= 127 ? 1 : 0);
        }
        float[] xv = input();
        try (FakeQuantizedWeights fq = new FakeQuantizedWeights(g, Map.of("fc1", q), backend);
             Tensor x = backend.fromFloats(xv, Shape.of(N, 1, 2, 2));
             Tensor ones = backend.fromFloats(filled(N * OUT, 1f), Shape.of(N, OUT))) {
            assertArrayEquals(q.fakeQuantize(w, Shape.of(HID, IN)), fq.graph().param("fc1.weight").value().toFloatArray());
            try (GraphRunner run = new GraphRunner(fq.graph(), backend, true, 0)) {
                run.forward(x);
                run.backward(ones);
            }
            Parameter copy = fq.graph().param("fc1.weight");
            float[] copyGrad = copy.grad().toFloatArray();
            fq.passGradients();
            float[] expected = new float[w.length];
            for (int k = 0; k < w.length; k++) expected[k] = mask[k] != 0 ? copyGrad[k] : 0f; // +0 where clamped, as the kernel
            assertArrayEquals(expected, g.param("fc1.weight").grad().toFloatArray());
            int passed = 0;
            for (byte m : mask) passed += m;
            assertTrue(passed > 0 && passed < mask.length, "both cases occur: " + passed + " of " + mask.length);
            for (int k = 0; k < w.length; k++) assertTrue(mask[k] == 0 || copyGrad[k] != 0, "a passing gradient is non-zero here");
            assertEquals(null, copy.grad(), "the copy's gradient was handed over");
            // biases are shared, not copied: their gradient lands on the original directly
            assertTrue(g.param("fc1.bias").grad() != null);
            assertArrayEquals(w, g.param("fc1.weight").value().toFloatArray(), "the float weight is untouched");
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    /** Simulated int8's hook ({@link FakeQuantizeHook#forInference}) fake-quantises as the training one but keeps no masks, so it refuses a backward. */
    @Test
    void theInferenceHookFakeQuantisesAlikeAndRefusesABackward() {
        QParams p = QParams.fromRange(QuantTargets.ACTIVATION_SCHEME, -1f, 1f);
        try (Tensor t = backend.fromFloats(new float[] {-2f, 0.3f, 0.5f, 3f}, Shape.of(4));
             FakeQuantizeHook training = FakeQuantizeHook.of(Map.of("a", p)); FakeQuantizeHook inference = FakeQuantizeHook.forInference(Map.of("a", p))) {
            assertArrayEquals(training.apply("a", t).toFloatArray(), inference.apply("a", t).toFloatArray());
            assertThrows(IllegalStateException.class, () -> inference.gradient("a", t));
            assertArrayEquals(new float[] {0f, 0.3f, 0.5f, 0f}, training.gradient("a", t).toFloatArray(), "clamped ends blocked");
        }
    }
}
