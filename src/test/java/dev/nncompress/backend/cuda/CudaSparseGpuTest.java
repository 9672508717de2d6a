package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.SparseWeight;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.nncompress.backend.ref.SparseFixtures.assertBits;
import static dev.nncompress.backend.ref.SparseFixtures.sparse;


/**
 * {@code CudaBackend.conv2dSparse/linearSparse} (the CSR kernel of sparse_conv_csr.cu; linear as a 1x1
 * conv) against the reference twin bit for bit: both start from the bias and chain fmaf over the CSR
 * entries in order. Odd sizes, strides, padding, 1x1, empty rows. Skipped without a GPU.
 */
@Tag("gpu")
class CudaSparseGpuTest {
    static CudaBackend GPU;
    static final ReferenceBackend REF = new ReferenceBackend();

    @BeforeAll static void open() {
        Gpu.driverOrSkip();
        GPU = new CudaBackend();
    }

    @AfterAll static void close() {
        if (GPU != null) GPU.close();
    }

    @Test
    void convMatchesTwin() {
        SplittableRandom rnd = new SplittableRandom(3);
        int[][] convs = {{3, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1}, {2, 3, 13, 7, 9, 5, 3, 2, 1, 2, 1}, {1, 17, 8, 8, 5, 1, 1, 1, 1, 0, 0}};
        for (int[] s : convs) {
            for (double density : new double[] {0.05, 0.5, 1.0}) {
                Shape ws = Shape.of(s[4], s[1], s[5], s[6]);
                Shape xs = Shape.of(s[0], s[1], s[2], s[3]);
                float[] w = sparse(rnd, ws.numel(), density);
                float[] x = sparse(rnd, xs.numel(), 1.0);
                float[] b = sparse(rnd, s[4], 1.0);
                Conv2dSpec spec = new Conv2dSpec(s[7], s[8], s[9], s[10]);
                assertBits(conv(REF, x, xs, w, ws, b, spec), conv(GPU, x, xs, w, ws, b, spec), "conv " + java.util.Arrays.toString(s) + " " + density, "gpu");
            }
        }
    }

    @Test
    void linearMatchesTwin() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int[] s : new int[][] {{1, 7, 5}, {65, 129, 31}, {256, 300, 10}}) {
            Shape ws = Shape.of(s[2], s[1]);
            float[] w = sparse(rnd, ws.numel(), 0.1);
            float[] x = sparse(rnd, s[0] * s[1], 1.0);
            float[] b = sparse(rnd, s[2], 1.0);
            assertBits(linear(REF, x, s[0], w, ws, b), linear(GPU, x, s[0], w, ws, b), "linear " + java.util.Arrays.toString(s), "gpu");
        }
    }

    static float[] conv(Backend be, float[] x, Shape xs, float[] w, Shape ws, float[] b, Conv2dSpec spec) {
        try (SparseWeight sw = be.prepareSparse(SparseWeight.csrOf(w, ws), ws); Tensor tx = be.fromFloats(x, xs);
             Tensor tb = be.fromFloats(b, Shape.of(b.length)); Tensor y = be.conv2dSparse(tx, sw, tb, spec)) {
            return y.toFloatArray();
        }
    }

    static float[] linear(Backend be, float[] x, int n, float[] w, Shape ws, float[] b) {
        try (SparseWeight sw = be.prepareSparse(SparseWeight.csrOf(w, ws), ws); Tensor tx = be.fromFloats(x, Shape.of(n, ws.dim(1)));
             Tensor tb = be.fromFloats(b, Shape.of(b.length)); Tensor y = be.linearSparse(tx, sw, tb)) {
            return y.toFloatArray();
        }
    }


}
