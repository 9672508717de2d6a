package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BackendContractTest;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backend contract for CudaBackend, on shapes at and past its tile edges, plus what only it has:
 * integer and byte tensors, the foreign-tensor message, aliased in-place adds. Skips, naming the
 * reason, without a usable GPU. Depends only on main classes, the contract, ref and JUnit (the GPU
 * bundle's test jar has no ND4J).
 */
@Tag("gpu")
class CudaBackendTest extends BackendContractTest {
    static CudaBackend GPU;

    @BeforeAll static void open() {
        Gpu.driverOrSkip();
        GPU = new CudaBackend();
    }

    @AfterAll static void close() {
        if (GPU != null) GPU.close();
    }

    @Override protected Backend backend() { return GPU; }

    @Override protected Tolerances tolerances() {
        return new Tolerances(
                1e-5,  // conv: float sums of hundreds of products (SGEMM), dw in float per image, double over images
                1e-6,  // conv db: double sums
                0,     // addRowVector: one rounding, as the reference's
                1e-6); // batch norm: double arithmetic, another summation order
    }

    /** Odd sizes, one element, past one 128 tile in every dimension, K = 8 (one stage), K = 0. */
    @Override protected int[][] matmulShapes() {
        return new int[][] {{7, 13, 5}, {1, 1, 1}, {129, 257, 131}, {128, 8, 128}, {64, 784, 64}, {3, 0, 4}};
    }

    /** One class (loss exactly 0) and more rows than a block's threads. */
    @Override protected int[][] softmaxShapes() { return new int[][] {{7, 10}, {1, 1}, {300, 37}}; }

    @Test void dtypesAndForeignTensors() {
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> GPU.relu(REF.zeros(Shape.of(2))));
        assertTrue(foreign.getMessage().contains("not to the cuda backend"), foreign.getMessage());
        assertThrows(IllegalArgumentException.class, () -> REF.relu(GPU.zeros(Shape.of(2))));
        Tensor ints = GPU.fromInts(new int[] {-3, 0, 70000}, Shape.of(3));
        assertEquals(DType.I32, ints.dtype());
        assertArrayEquals(new float[] {-3, 0, 70000}, ints.toFloatArray());
        Tensor bytes = GPU.fromBytes(new byte[] {-128, 5, 127}, Shape.of(3));
        assertArrayEquals(new float[] {-128, 5, 127}, bytes.toFloatArray());
        assertArrayEquals(new float[4], GPU.zeros(Shape.of(4), DType.I8).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> GPU.relu(ints), "float ops take F32 only");
        assertTrue(GPU.describe().contains("CC "), GPU.describe());
    }

    /** Issue 17's convs: depthwise on conv_grouped.cu's kernels, grouped on per-group SGEMMs, asymmetric padding on our route. */
    @Test void convGeneralShapes() { checkGeneralConvShapes(); }

    @Test void convOddShapes() {
        checkOddConvShapes();
        checkConv(12, 3, 4, 5, 5, 2, 1, 1, Conv2dSpec.of(1, 0)); // 1x1: the direct (no im2col) path
        checkConv(18, 2, 3, 5, 5, 4, 1, 1, Conv2dSpec.of(2, 0)); // 1x1 strided: im2col path
        checkConv(20, 4, 32, 28, 28, 64, 3, 3, Conv2dSpec.of(1, 1)); // teacher conv2
        checkConv(21, 3, 64, 14, 14, 129, 3, 3, Conv2dSpec.of(1, 1)); // O beyond one 128 tile
    }

    @Test void poolingSpecialValues() {
        float[] special = {1, Float.NaN, 3, 2, -0f, 0f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        checkPools(pair(special, Shape.of(1, 1, 2, 4)), Pool2dSpec.square(2), 34);
    }

    @Test void addInPlaceAliased() {
        Random rnd = new Random(50);
        for (int n : new int[] {1, 37, 300_001}) {
            Pair a = random(rnd, Shape.of(n));
            GPU.addInPlace(a.own(), a.own()); // a += a: the kernel reads and writes the same buffer
            REF.addInPlace(a.ref(), a.ref());
            exact("addInPlace aliased " + n, a.ref(), a.own());
        }
    }
}
