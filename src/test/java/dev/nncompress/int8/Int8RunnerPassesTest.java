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
 * A batch taken through the model in parts ({@link Int8Kernels#passBytes}, so that activations stay in cache) gives
 * the logits of the whole batch at once, bit for bit, on every kernel implementation; parts of equal size and a
 * shorter last one, called twice (the workspaces are reused); on the native kernels with 2 threads the passes run
 * side by side ({@link Int8Kernels#forPasses}).
 */
class Int8RunnerPassesTest {
    private final Backend ref = new ReferenceBackend();

    /** {@code kernels} with another passBytes, counting the input quantisations (one per pass). */
    private record Passes(Int8Kernels k, long passBytes, AtomicInteger passes) implements Int8Kernels {
        @Override public String name() { return k.name(); }
        @Override public int threads() { return k.threads(); }
        @Override public int parallelCalls() { return k.parallelCalls(); }
        @Override public long passBytes() { return passBytes; }
        @Override public void forPasses(int n, int maxImages, Pass pass) { k.forPasses(n, maxImages, pass); } // native: side by side
        @Override public PackedS8 pack(byte[] b, int n, int kk) { return k.pack(b, n, kk); }
        @Override public void gemm(byte[] a, int m, PackedS8 b, GemmS8Epilogue e, GemmS8Output out) { k.gemm(a, m, b, e, out); }
        @Override public void im2col(byte[] x, ConvGeometry g, byte pad, byte[] cols) { k.im2col(x, g, pad, cols); }
        @Override public void conv(byte[] x, ConvGeometry g, byte pad, PackedS8 w, GemmS8Epilogue e, GemmS8Output out) { k.conv(x, g, pad, w, e, out); }
        @Override public void maxPool(byte[] x, int n, int h, int w, int c, Pool2dSpec s, byte[] y) { k.maxPool(x, n, h, w, c, s, y); }
        @Override public void nhwcToNchw(byte[] x, int n, int hw, int c, byte[] y) { k.nhwcToNchw(x, n, hw, c, y); }

        @Override public void quantizeToNhwc(float[] x, int n, int c, int hw, float scale, int zeroPoint, byte[] q) {
            passes.incrementAndGet();
            k.quantizeToNhwc(x, n, c, hw, scale, zeroPoint, q);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.nncompress.int8.Int8KernelProviders#all")
    void aBatchInPartsGivesTheWholeBatchsLogits(String kernels) {
        Graph g = CalibFixtures.prepared(Models.student(ref, 6));
        Dataset data = CalibFixtures.noise(9, 10);
        QuantPlan plan = new Calibrator("minmax", 9, 9, null).calibrate(QuantTargets.of(g), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        float[] whole;
        AtomicInteger once = new AtomicInteger(), parts = new AtomicInteger();
        try (Int8Runner r = new Int8Runner(m, new Passes(Int8KernelProviders.create(kernels, 2), 0, once), ref)) {
            whole = r.logits(data.images(), 9);
        }
        assertEquals(1, once.get());
        // the student's largest activation is conv1's 8 x 28 x 28 codes an image: two images a pass, 9 as 2+2+2+2+1
        try (Int8Runner r = new Int8Runner(m, new Passes(Int8KernelProviders.create(kernels, 2), 2 * 8 * 28 * 28 + 5, parts), ref)) {
            assertArrayEquals(whole, r.logits(data.images(), 9), kernels + " in parts");
            assertArrayEquals(whole, r.logits(data.images(), 9), kernels + " in parts, workspaces reused");
        }
        // native kernels on 2 threads: whole passes side by side, an even number of them (6 of 1-2 images)
        int perCall = kernels.startsWith("native") ? 6 : 5;
        assertEquals(2 * perCall, parts.get(), "two calls of " + perCall + " passes");
    }
}
