package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.sparse.CsrWeights;
import dev.nncompress.backend.ref.ReferenceSparseConv;
import dev.nncompress.backend.ref.SparseConvGrads;
import dev.nncompress.sparse.StructuredSparsity;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * cuda-kernels/sparse_conv.cu and sparse_conv_csr.cu against their CPU twin ReferenceSparseConv on
 * odd shapes: the forward bit for bit; the backward within {@link #BWD_TOL} of the largest |value| of
 * each gradient tensor (the kernels sum up to N*OH*OW products in float, split over threads and added
 * atomically; the twin sums in double; an indexing error would be of the order of the values themselves).
 */
@Tag("gpu")
class SparseConvGpuTest {
    private static final double BWD_TOL = 1e-4;

    @ParameterizedTest(name = "n={0} c={1} {2}x{3} o={4} k={5}x{6} s={7}x{8} p={9}x{10} d={11}x{12} keep {13}/{14} mask={15}")
    @CsvSource({
            // n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, keepOut, keepIn, mask
            "2, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 0.6, 0.8, false",
            "3, 4, 13, 10, 20, 3, 3, 2, 2, 1, 1, 1, 1, 0.5, 1.0, true",
            "2, 6, 12, 9, 40, 3, 2, 1, 2, 2, 1, 2, 1, 1.0, 0.5, false",
            "1, 3, 7, 11, 70, 5, 5, 2, 1, 2, 0, 1, 2, 0.3, 0.67, true",
            "2, 70, 12, 12, 150, 3, 3, 1, 1, 1, 1, 1, 1, 0.9, 0.95, true",
            "3, 4, 20, 20, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1.0, 1.0, false",
            "2, 5, 8, 8, 9, 3, 3, 1, 1, 1, 1, 1, 1, 0.0, 1.0, false",
            "2, 5, 8, 8, 9, 1, 1, 1, 1, 0, 0, 1, 1, 1.0, 0.0, true",
    })
    void structuredKernelsMatchTheTwin(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                                       double keepOut, double keepIn, boolean masked) {
        Gpu.driverOrSkip();
        SplittableRandom rnd = new SplittableRandom(n * 7919L + c * 31L + o);
        ConvGeometry g = ConvGeometry.of(n, c, h, w, o, kh, kw, new Conv2dSpec(sh, sw, ph, pw).withDilation(dh, dw));
        Data d = new Data(rnd, g, masked);
        StructuredSparsity s = new StructuredSparsity(o, c, pick(rnd, o, keepOut), pick(rnd, c, keepIn));
        try (DeviceBuffer x = DeviceBuffer.of(d.x); DeviceBuffer wt = DeviceBuffer.of(d.w); DeviceBuffer b = DeviceBuffer.of(d.bias);
             DeviceBuffer gy = DeviceBuffer.of(d.gy); DeviceBuffer mask = d.mask == null ? null : DeviceBuffer.of(d.mask);
             SparseConv.DeviceStructured ds = new SparseConv.DeviceStructured(s);
             DeviceBuffer y = poisoned(g.outputSize()); DeviceBuffer dx = poisoned(g.inputSize());
             DeviceBuffer dwt = poisoned(g.weightSize()); DeviceBuffer db = poisoned(o)) {
            SparseConv.forwardStructured(g, x, wt, b, ds, mask, y);
            assertArrayEquals(ReferenceSparseConv.forwardStructured(g, d.x, d.w, d.bias, s, d.mask), y.toFloats(), "forward, bit for bit");

            SparseConv.backwardStructured(g, x, wt, gy, ds, mask, dx, dwt, db);
            SparseConvGrads want = ReferenceSparseConv.backwardStructured(g, d.x, d.w, d.gy, s, d.mask, true);
            assertNear(want.input(), dx.toFloats(), "grad input");
            assertNear(want.weight(), dwt.toFloats(), "grad weight");
            assertNear(want.bias(), db.toFloats(), "grad bias");
        }
    }

    @ParameterizedTest(name = "n={0} c={1} {2}x{3} o={4} k={5}x{6} s={7}x{8} p={9}x{10} d={11}x{12} density {13} mask={14}")
    @CsvSource({
            "2, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 0.3, false",
            "3, 4, 13, 10, 20, 3, 3, 2, 2, 1, 1, 1, 1, 0.1, true",
            "2, 6, 12, 9, 5, 3, 2, 1, 2, 2, 1, 2, 1, 1.0, false",
            "1, 3, 7, 11, 8, 5, 5, 2, 1, 2, 0, 1, 2, 0.5, true",
            "2, 33, 17, 15, 9, 3, 3, 1, 1, 1, 1, 1, 1, 0.1, true",
            "2, 3, 7, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0.0, true",
    })
    void csrKernelsMatchTheTwin(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                                double density, boolean masked) {
        Gpu.driverOrSkip();
        SplittableRandom rnd = new SplittableRandom(n * 7919L + c * 31L + o + 1);
        ConvGeometry g = ConvGeometry.of(n, c, h, w, o, kh, kw, new Conv2dSpec(sh, sw, ph, pw).withDilation(dh, dw));
        Data d = new Data(rnd, g, masked);
        byte[] keep = new byte[d.w.length];
        for (int i = 0; i < keep.length; i++) keep[i] = (byte) (rnd.nextDouble() < density ? 1 : 0);
        CsrWeights csr = CsrWeights.fromDense(d.w, keep, o, c, kh, kw);
        try (DeviceBuffer x = DeviceBuffer.of(d.x); DeviceBuffer b = DeviceBuffer.of(d.bias); DeviceBuffer gy = DeviceBuffer.of(d.gy);
             DeviceBuffer mask = d.mask == null ? null : DeviceBuffer.of(d.mask); SparseConv.DeviceCsr dcsr = new SparseConv.DeviceCsr(csr);
             DeviceBuffer y = poisoned(g.outputSize()); DeviceBuffer dx = poisoned(g.inputSize());
             DeviceBuffer dv = poisoned(Math.max(1, csr.nnz())); DeviceBuffer db = poisoned(o)) {
            SparseConv.forwardCsr(g, x, dcsr, b, mask, y);
            assertArrayEquals(ReferenceSparseConv.forwardCsr(g, d.x, csr, d.bias, d.mask), y.toFloats(), "forward, bit for bit");

            SparseConv.backwardCsr(g, x, dcsr, gy, mask, dx, dv, db);
            SparseConvGrads want = ReferenceSparseConv.backwardCsr(g, d.x, csr, d.gy, d.mask, true);
            assertNear(want.input(), dx.toFloats(), "grad input");
            assertNear(want.weight(), Arrays.copyOf(dv.toFloats(), csr.nnz()), "grad value per entry");
            assertNear(want.bias(), db.toFloats(), "grad bias");
        }
    }

    /** Random inputs in [-1, 1] and a mask with about a quarter of the outputs off. */
    private static final class Data {
        final float[] x, w, bias, gy;
        final byte[] mask;

        Data(SplittableRandom rnd, ConvGeometry g, boolean masked) {
            x = random(rnd, g.inputSize());
            w = random(rnd, g.weightSize());
            bias = random(rnd, g.o());
            gy = random(rnd, g.outputSize());
            if (masked) {
                mask = new byte[(int) g.maskSize()];
                for (int i = 0; i < mask.length; i++) mask[i] = (byte) (rnd.nextInt(4) == 0 ? 0 : 1);
            } else {
                mask = null;
            }
        }
    }

    /** NaN-filled, so that an entry no kernel writes fails the comparison. */
    private static DeviceBuffer poisoned(long floats) {
        float[] nan = new float[(int) floats];
        Arrays.fill(nan, Float.NaN);
        return DeviceBuffer.of(nan);
    }

    private static float[] random(SplittableRandom rnd, long n) {
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    private static int[] pick(SplittableRandom rnd, int size, double fraction) {
        int keep = (int) Math.round(size * fraction);
        int[] all = new int[size];
        for (int i = 0; i < size; i++) all[i] = i;
        for (int i = size - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] kept = Arrays.copyOf(all, keep);
        Arrays.sort(kept);
        return kept;
    }

    private static void assertNear(float[] want, float[] got, String what) {
        assertTrue(want.length == got.length, what + ": " + got.length + " values, expected " + want.length);
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs((double) got[i] - want[i]);
            int at = i;
            double limit = BWD_TOL * scale;
            assertTrue(err <= limit, () -> what + " at " + at + ": " + got[at] + " vs " + want[at] + " (tolerance " + limit + ")");
        }
    }
}
