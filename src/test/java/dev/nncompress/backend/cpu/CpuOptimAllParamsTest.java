package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The optimiser step over all parameters in one pass (sgdUpdateAll, adamUpdateAll) equals one call per parameter
 * bit for bit: on the CPU, whose split over threads by total size cuts parameters in the middle (sizes chosen so
 * the total is past CpuPar.MIN_PARALLEL and parameters straddle the parts), and through the default method
 * (reference backend).
 */
class CpuOptimAllParamsTest {
    /** Small and large parameters: a 1-element bias, one below a chunk, two above the parallel threshold together. */
    private static final int[] SIZES = {7, 150_001, 1, 5_003, 120_000};
    /** The reference backend's default method only loops over parameters: small sizes keep its double arithmetic quick. */
    private static final int[] SMALL = {7, 1_501, 1, 53, 1_200};

    private static int[] sizes(Backend b) { return b instanceof CpuBackend ? SIZES : SMALL; }

    @Test
    void sgdOverAllParametersEqualsOneCallPerParameter() {
        for (Backend b : new Backend[] {new CpuBackend(), new ReferenceBackend()}) {
            for (float[] cfg : new float[][] {{0f, 0f, 0}, {0.9f, 1e-4f, 0}, {0.9f, 5e-4f, 1}}) {
                float momentum = cfg[0];
                float wd = cfg[1];
                boolean nesterov = cfg[2] == 1;
                int state = momentum > 0 ? 1 : 0;
                same(b, state, (t, g) -> b.sgdUpdateAll(t[0], g, state == 0 ? null : t[1], 0.05f, momentum, wd, nesterov),
                        (t, g) -> {
                            for (int i = 0; i < g.size(); i++) {
                                b.sgdUpdate(t[0].get(i), g.get(i), state == 0 ? null : t[1].get(i), 0.05f, momentum, wd, nesterov);
                            }
                        });
            }
        }
    }

    @Test
    void adamOverAllParametersEqualsOneCallPerParameter() {
        for (Backend b : new Backend[] {new CpuBackend(), new ReferenceBackend()}) {
            for (boolean decoupled : new boolean[] {false, true}) {
                int[] step = {0};
                same(b, 2, (t, g) -> b.adamUpdateAll(t[0], g, t[1], t[2], ++step[0], 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled), (t, g) -> {
                    for (int i = 0; i < g.size(); i++) {
                        b.adamUpdate(t[0].get(i), g.get(i), t[1].get(i), t[2].get(i), step[0], 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled);
                    }
                });
            }
        }
    }

    @Test
    void listsOfDifferentLengthsAreRefused() {
        CpuBackend b = new CpuBackend();
        Tensor p = b.zeros(Shape.of(3));
        Tensor g = b.zeros(Shape.of(3));
        var e = assertThrows(IllegalArgumentException.class, () -> b.sgdUpdateAll(List.of(p, p), List.of(g), null, 0.1f, 0f, 0f, false));
        assertTrue(e.getMessage().contains("2 parameters but a list of 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.adamUpdateAll(List.of(p), List.of(g), List.of(p), null, 1, 0.1f, 0.9f, 0.99f, 1e-8f, 0f, false));
        e = assertThrows(IllegalArgumentException.class, () -> b.sgdUpdateAll(List.of(p), List.of(b.zeros(Shape.of(4))), null, 0.1f, 0f, 0f, false));
        assertTrue(e.getMessage().contains("sgdUpdate"), e.getMessage());
    }

    /**
     * Runs three steps of {@code fused} and of {@code perParam} on equal copies (parameters, {@code state} state tensors
     * per parameter, gradients new each step) and compares every tensor bit for bit.
     */
    private static void same(Backend b, int state, BiConsumer<List<Tensor>[], List<Tensor>> fused, BiConsumer<List<Tensor>[], List<Tensor>> perParam) {
        List<Tensor>[] x = tensors(b, state, 1);
        List<Tensor>[] y = tensors(b, state, 1);
        for (int s = 0; s < 3; s++) {
            List<Tensor> g = tensors(b, 0, 100 + s)[0];
            fused.accept(x, g);
            perParam.accept(y, g);
        }
        for (int k = 0; k <= state; k++) {
            for (int i = 0; i < sizes(b).length; i++) {
                assertArrayEquals(y[k].get(i).toFloatArray(), x[k].get(i).toFloatArray(), b.name() + " tensor " + k + " of parameter " + i);
            }
        }
        assertTrue(x[0].get(1).toFloatArray()[0] != tensors(b, 0, 1)[0].get(1).toFloatArray()[0], "the step changed the parameters");
    }

    /** Parameters (list 0) from {@code seed} and {@code state} lists of state tensors (positive: Adam's v must be). */
    @SuppressWarnings("unchecked")
    private static List<Tensor>[] tensors(Backend b, int state, long seed) {
        List<Tensor>[] out = new List[state + 1];
        SplittableRandom r = new SplittableRandom(seed);
        for (int k = 0; k <= state; k++) {
            out[k] = new ArrayList<>();
            for (int n : sizes(b)) {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) v[i] = (float) (k == 0 ? r.nextGaussian() : r.nextDouble() * 0.1);
                out[k].add(b.fromFloats(v, Shape.of(n)));
            }
        }
        return out;
    }
}
