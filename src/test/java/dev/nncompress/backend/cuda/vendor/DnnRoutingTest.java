package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.PoolGeometry;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.Dnn;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which cases each cuDNN part hands to our kernels (pure rules, no GPU): the ones whose semantics
 * cuDNN cannot reproduce exactly (max-pool backward's tie rule, batch norm with one value per channel)
 * and the ones it cannot describe (empty tensors, int overflow, eps below its minimum); and how a
 * {@link Dnn} is put together and closed.
 */
class DnnRoutingTest {
    private static PoolGeometry pool(int n, int c, int h, int w, Pool2dSpec s) {
        return ArgChecks.pool("test", Shape.of(n, c, h, w), s);
    }

    @Test
    void convRunsOnCudnnWithGroupsAndDilationButNotWithAsymmetricPadding() {
        // Conv2dSpec(strideH, strideW, top, left, bottom, right, dilationH, dilationW, groups)
        assertNull(CudnnConv.fallbackReason(dev.nncompress.backend.ConvGeometry.of(2, 8, 9, 9, 8, 3, 3,
                new dev.nncompress.backend.Conv2dSpec(1, 1, 2, 2, 2, 2, 2, 2, 8))));
        String asym = CudnnConv.fallbackReason(dev.nncompress.backend.ConvGeometry.of(2, 8, 9, 9, 8, 3, 3,
                new dev.nncompress.backend.Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1, 8)));
        assertTrue(asym.contains("asymmetric padding"), asym);
    }

    @Test
    void poolingRunsOnCudnnExceptMaxBackwardWhoseTieRuleCudnnDoesNotPromise() {
        PoolGeometry g = pool(3, 5, 7, 6, new Pool2dSpec(3, 2, 2, 1, 1, 1));
        assertNull(CudnnPooling.fallbackReason(Dnn.PoolMode.MAX, false, g));
        assertNull(CudnnPooling.fallbackReason(Dnn.PoolMode.AVERAGE, false, g));
        assertNull(CudnnPooling.fallbackReason(Dnn.PoolMode.AVERAGE, true, g));
        assertTrue(CudnnPooling.fallbackReason(Dnn.PoolMode.MAX, true, g).contains("first maximum"));
        assertEquals("empty tensor", CudnnPooling.fallbackReason(Dnn.PoolMode.AVERAGE, false, pool(0, 5, 7, 6, Pool2dSpec.square(2))));
        PoolGeometry huge = new PoolGeometry(1 << 21, 32, 32, 16, 16, Pool2dSpec.square(2)); // 2^31 inputs
        assertEquals("sizes beyond cuDNN's int range", CudnnPooling.fallbackReason(Dnn.PoolMode.MAX, false, huge));
    }

    /** cuDNN's descriptor has one padding per axis and floor-mode windows; count_include_pad it has (a mode). */
    @Test
    void ceilModeAndAsymmetricPoolsRunOnOurKernels() {
        PoolGeometry ceil = pool(3, 5, 8, 8, new Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, true, false));
        PoolGeometry asym = pool(3, 5, 7, 6, new Pool2dSpec(2, 3, 2, 2, 0, 1, 1, 1, false, false));
        for (PoolGeometry g : List.of(ceil, asym)) {
            assertTrue(CudnnPooling.fallbackReason(Dnn.PoolMode.MAX, false, g).contains("ceil mode"));
            assertTrue(CudnnPooling.fallbackReason(Dnn.PoolMode.AVERAGE, true, g).contains("asymmetric padding"));
        }
        PoolGeometry counted = pool(3, 5, 7, 6, new Pool2dSpec(3, 3, 1, 1, 1, 1, 1, 1, false, true));
        assertNull(CudnnPooling.fallbackReason(Dnn.PoolMode.AVERAGE, false, counted));
        assertNull(CudnnPooling.fallbackReason(Dnn.PoolMode.AVERAGE, true, counted));
    }

    @Test
    void reluAndSoftmaxRunOnCudnnUnlessEmptyOrBeyondInt() {
        assertNull(CudnnActivation.fallbackReason(300_001));
        assertNull(CudnnActivation.fallbackReason(Integer.MAX_VALUE));
        assertEquals("empty tensor", CudnnActivation.fallbackReason(0));
        assertEquals("sizes beyond cuDNN's int range", CudnnActivation.fallbackReason(1L << 31));
        assertNull(CudnnSoftmax.fallbackReason(300, 37));
        assertEquals("empty tensor", CudnnSoftmax.fallbackReason(0, 10));
        assertEquals("sizes beyond cuDNN's int range", CudnnSoftmax.fallbackReason(1 << 20, 1 << 12));
    }

    @Test
    void batchNormWithOneValuePerChannelTrainsOnOursBecauseCudnnWouldDivideByZero() {
        Dnn.NormLayout one = new Dnn.NormLayout(1, 4, 1), two = new Dnn.NormLayout(2, 4, 1);
        assertTrue(CudnnBatchNorm.fallbackReason(one, 1e-5, true).contains("count - 1 = 0"));
        assertNull(CudnnBatchNorm.fallbackReason(one, 1e-5, false), "inference has no variance to estimate");
        assertNull(CudnnBatchNorm.fallbackReason(two, 1e-5, true));
        assertNull(CudnnBatchNorm.fallbackReason(new Dnn.NormLayout(16, 8, 196), 0.0, true), "cuDNN 9's minimum epsilon is 0");
        assertTrue(CudnnBatchNorm.fallbackReason(two, -1e-3, false).contains("below cuDNN's minimum"));
        assertTrue(CudnnBatchNorm.fallbackReason(two, Double.NaN, false).contains("below cuDNN's minimum"));
        assertEquals("sizes beyond cuDNN's int range", CudnnBatchNorm.fallbackReason(new Dnn.NormLayout(1 << 16, 64, 1024), 1e-5, false));
        assertEquals("empty tensor", CudnnBatchNorm.fallbackReason(new Dnn.NormLayout(2, 0, 3), 1e-5, false));
        assertEquals(2L * 3, new Dnn.NormLayout(2, 5, 3).count());
        assertEquals(2L * 3 * 5, new Dnn.NormLayout(2, 5, 3).elements());
    }

    /** A part that records its close. */
    private record Closing(List<String> log, String name) implements Dnn.Pooling, Dnn.Activation, Dnn.BatchNorm, Dnn.Softmax, Dnn.Conv {
        @Override public void close() { log.add(name); }
        @Override public void forward(Dnn.PoolMode m, PoolGeometry g, DeviceBuffer x, DeviceBuffer y) {}
        @Override public void backward(Dnn.PoolMode m, PoolGeometry g, DeviceBuffer x, DeviceBuffer gy, DeviceBuffer dx) {}
        @Override public void relu(long n, DeviceBuffer x, DeviceBuffer y) {}
        @Override public void reluBackward(long n, DeviceBuffer y, DeviceBuffer gy, DeviceBuffer dx) {}
        @Override public void train(Dnn.NormLayout l, float eps, DeviceBuffer x, DeviceBuffer g, DeviceBuffer b, DeviceBuffer y,
                                    DeviceBuffer m, DeviceBuffer v, DeviceBuffer is, Dnn.Running r) {}
        @Override public void inference(Dnn.NormLayout l, float eps, DeviceBuffer x, DeviceBuffer g, DeviceBuffer b, DeviceBuffer m,
                                        DeviceBuffer v, DeviceBuffer y) {}
        @Override public void backward(Dnn.NormLayout l, DeviceBuffer x, DeviceBuffer g, DeviceBuffer m, DeviceBuffer is,
                                       DeviceBuffer gy, DeviceBuffer dx, DeviceBuffer dg, DeviceBuffer db) {}
        @Override public void crossEntropy(int n, int k, DeviceBuffer z, DeviceBuffer l, DeviceBuffer g, DeviceBuffer loss) {}
        @Override public void convForward(dev.nncompress.backend.ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {}
        @Override public void convBackward(dev.nncompress.backend.ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer gy,
                                           DeviceBuffer dx, DeviceBuffer dw) {}
    }

    @Test
    void closingADnnClosesEachDistinctPartOnce() {
        List<String> log = new ArrayList<>();
        Closing ours = new Closing(log, "ours"), conv = new Closing(log, "vendor conv"), pooling = new Closing(log, "vendor pooling");
        new Dnn("mixed", conv, pooling, ours, ours, ours).close();
        assertEquals(List.of("vendor conv", "vendor pooling", "ours"), log);
    }
}
