package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.nncompress.backend.cpu.ConvGradArrays.gaussian;
import static dev.nncompress.backend.cpu.ConvGradArrays.near;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A conv backward without dx (a first layer) runs {@link CpuConv#weightGradSplit}: the images split into one part per
 * thread, each part's partial dw and db added at the end (issue 23). Checked against the reference backend's double sums
 * and against the one-part gemm route, on the first layers of the student, LeNet-5 and the teacher, at batch sizes that
 * split evenly, unevenly and not at all.
 */
class WeightGradSplitTest {
    @Test
    void firstLayerWeightAndBiasGradientsMatchTheReference() {
        // the AVX-512 route (NativeConvGrad, its own test) takes these layers where it runs: off here to check the split
        boolean avx512 = NativeConvGrad.enabled;
        NativeConvGrad.enabled = false;
        try {
            checkFirstLayers();
        } finally {
            NativeConvGrad.enabled = avx512;
        }
    }

    private static void checkFirstLayers() {
        CpuBackend cpu = new CpuBackend();
        ReferenceBackend ref = new ReferenceBackend();
        int[][] layers = {{1, 8, 3, 1}, {1, 6, 5, 2}, {1, 32, 3, 1}, {3, 4, 3, 1}}; // c, o, k, pad
        for (int[] l : layers) {
            for (int n : new int[] {1, 5, 64}) {
                Conv2dSpec spec = Conv2dSpec.of(1, l[3]);
                Shape xs = Shape.of(n, l[0], 28, 28);
                Shape ws = Shape.of(l[1], l[0], l[2], l[2]);
                ConvGeometry g = ConvGeometry.of(n, l[0], 28, 28, l[1], l[2], l[2], spec);
                // split where the products stay on one OpenBLAS thread; the teacher's conv1 at batch 64 stays DIRECT
                boolean splits = (long) l[1] * l[0] * l[2] * l[2] * n * 28 * 28 < Blas.small;
                assertEquals(splits || l[0] * l[2] * l[2] > 27 ? CpuConv.Route.IM2COL : CpuConv.Route.DIRECT, CpuConv.route(g, true, false),
                        "c" + l[0] + " o" + l[1] + " n" + n + ": route of a dx-free backward");
                SplittableRandom r = new SplittableRandom(n * 31L + l[1]);
                float[] x = gaussian(r, xs.numel());
                float[] w = gaussian(r, ws.numel());
                float[] gy = gaussian(r, n * l[1] * g.oh() * g.ow());
                Shape gs = Shape.of(n, l[1], g.oh(), g.ow());
                String what = "c" + l[0] + " o" + l[1] + " k" + l[2] + " n" + n;
                try (Tensor cx = cpu.fromFloats(x, xs); Tensor cw = cpu.fromFloats(w, ws); Tensor cg = cpu.fromFloats(gy, gs);
                     Tensor rx = ref.fromFloats(x, xs); Tensor rw = ref.fromFloats(w, ws); Tensor rg = ref.fromFloats(gy, gs)) {
                    Conv2dGrads split = cpu.conv2dBackward(cx, cw, cg, spec, true, false);
                    Conv2dGrads expected = ref.conv2dBackward(rx, rw, rg, spec, true, false);
                    assertNull(split.input(), what);
                    near(what + " dw", expected.weight().toFloatArray(), split.weight().toFloatArray());
                    near(what + " db", expected.bias().toFloatArray(), split.bias().toFloatArray());
                    try (Tensor one = cpu.zeros(ws); Tensor oneBias = cpu.zeros(Shape.of(l[1]))) {
                        CpuConv.gemmBackward(g, ((CpuTensor) cx).address(), ((CpuTensor) cw).address(), ((CpuTensor) cg).address(), 0L,
                                ((CpuTensor) one).address(), ((CpuTensor) oneBias).address());
                        near(what + " dw against one part", one.toFloatArray(), split.weight().toFloatArray());
                        near(what + " db against one part", oneBias.toFloatArray(), split.bias().toFloatArray());
                    }
                    split.weight().close();
                    split.bias().close();
                }
            }
        }
    }
}
