package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The runner fuses each conv whose only reader is a max-pool into one {@code qconv2dMaxPool} ({@link ConvPoolFusion}):
 * of the student's two conv, ReLU, pool chains the kernels that fuse ({@code fusesConvMaxPool}) run one
 * {@code convMaxPool} call for each they take, the others a conv and a max-pool; the logits equal, bit for bit, the
 * unfused steps' output ({@link Int8Runner#trace} runs them) and the Java twin's, on every kernel implementation.
 */
class ConvPoolFusionTest {
    private final Backend ref = new ReferenceBackend();

    /** {@code kernels} counting fused and separate max-pools. */
    private record Counting(Int8Kernels k, AtomicInteger fused, AtomicInteger pools) implements Int8Kernels {
        @Override public String name() { return k.name(); }
        @Override public int threads() { return k.threads(); }
        @Override public PackedS8 pack(byte[] b, int n, int kk) { return k.pack(b, n, kk); }
        @Override public void gemm(byte[] a, int m, PackedS8 b, GemmS8Epilogue e, GemmS8Output out) { k.gemm(a, m, b, e, out); }
        @Override public void im2col(byte[] x, ConvGeometry g, byte pad, byte[] cols) { k.im2col(x, g, pad, cols); }
        @Override public void conv(byte[] x, ConvGeometry g, byte pad, PackedS8 w, GemmS8Epilogue e, GemmS8Output out) { k.conv(x, g, pad, w, e, out); }
        @Override public void nhwcToNchw(byte[] x, int n, int hw, int c, byte[] y) { k.nhwcToNchw(x, n, hw, c, y); }
        @Override public void quantizeToNhwc(float[] x, int n, int c, int hw, float scale, int zp, byte[] q) { k.quantizeToNhwc(x, n, c, hw, scale, zp, q); }

        @Override public void maxPool(byte[] x, int n, int h, int w, int c, Pool2dSpec s, byte[] y) {
            pools.incrementAndGet();
            k.maxPool(x, n, h, w, c, s, y);
        }

        @Override public boolean fusesConvMaxPool(ConvGeometry g, PackedS8 w) { return k.fusesConvMaxPool(g, w); }

        @Override public void convMaxPool(byte[] x, ConvGeometry g, byte pad, PackedS8 w, GemmS8Epilogue e, Pool2dSpec pool, byte[] y) {
            fused.incrementAndGet();
            k.convMaxPool(x, g, pad, w, e, pool, y);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.nncompress.int8.Int8KernelProviders#all")
    void convReluPoolChainsRunFusedWithTheUnfusedLogits(String kernels) {
        Graph g = CalibFixtures.prepared(Models.student(ref, 8));
        Dataset data = CalibFixtures.noise(5, 11);
        QuantPlan plan = new Calibrator("minmax", 5, 5, null).calibrate(QuantTargets.of(g), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        float[] twin;
        try (Int8Runner r = new Int8Runner(m, Int8KernelProviders.create("java", 1), ref)) {
            twin = r.logits(data.images(), 5);
        }
        AtomicInteger fused = new AtomicInteger(), pools = new AtomicInteger();
        try (Int8Runner r = new Int8Runner(m, new Counting(Int8KernelProviders.create(kernels, 2), fused, pools), ref)) {
            float[] logits = r.logits(data.images(), 5);
            // the VNNI kernels fuse conv2 + pool2 (16 channels; conv1's 8 take the one-channel kernel); elsewhere and
            // for conv1 the op runs conv then max-pool on the backend's own code arrays
            int expected = kernels.equals("native-avx512vnni") ? 1 : 0;
            assertEquals(expected, fused.get(), "fused conv + max-pool calls");
            assertEquals(2 - expected, pools.get(), "separate max-pools");
            float[] unfused = r.trace(data.images(), 5).get(m.output());
            assertEquals(2 - expected + 2, pools.get(), "trace runs the convs and pools as separate steps");
            assertArrayEquals(unfused, logits, kernels + ": fused against unfused steps");
            assertArrayEquals(twin, logits, kernels + ": against the Java twin");
        }
    }
}
