package dev.nncompress.backend.cuda;

import dev.nncompress.quant.QuantArithmetic;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** cuda-kernels/quantize.cu (quantise, dequantise, fake-quantise and its STE backward) against the CPU twins in ReferenceOps: bit for bit, on odd shapes. */
@Tag("gpu")
class QuantizeKernelsGpuTest {
    @ParameterizedTest(name = "channels={0} inner={1} outer={2}")
    @CsvSource({"1, 1, 1", "1, 1001, 3", "7, 9, 5", "13, 1, 17", "64, 147, 1"})
    void quantiseDequantiseAndFakeQuantiseMatchTheirTwins(int channels, int inner, int outer) {
        Gpu.driverOrSkip();
        SplittableRandom rnd = new SplittableRandom(channels * 1000L + inner);
        int n = channels * inner * outer;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * 3);
        x[0] = Float.NaN; // the twins define NaN -> -128 as fminf/fmaxf do
        float[] scale = new float[channels];
        int[] zp = new int[channels];
        for (int c = 0; c < channels; c++) {
            scale[c] = (float) (0.005 + rnd.nextDouble() * 0.05);
            zp[c] = rnd.nextInt(-20, 21);
        }
        CudaDriver d = CudaDriver.get();
        try (DeviceBuffer dx = DeviceBuffer.of(x); DeviceBuffer ds = DeviceBuffer.of(scale); DeviceBuffer dz = DeviceBuffer.of(zp);
             DeviceBuffer dq = DeviceBuffer.allocate(n); DeviceBuffer dy = DeviceBuffer.allocate(4L * n);
             DeviceBuffer dmask = DeviceBuffer.allocate(n); DeviceBuffer dback = DeviceBuffer.allocate(4L * n)) {
            d.kernel("nnc_quantize_s8").launch1d(n, 256, dx, dq, ds, dz, (long) n, channels, (long) inner);
            byte[] q = dq.toBytes();
            assertArrayEquals(QuantArithmetic.quantizeS8(x, scale, zp, channels, inner), q);

            d.kernel("nnc_dequantize_s8").launch1d(n, 256, dq, dback, ds, dz, (long) n, channels, (long) inner);
            assertArrayEquals(QuantArithmetic.dequantizeS8(q, scale, zp, channels, inner), dback.toFloats());

            d.kernel("nnc_fake_quantize_s8").launch1d(n, 256, dx, dy, dmask, ds, dz, (long) n, channels, (long) inner);
            byte[] mask = new byte[n];
            float[] expected = QuantArithmetic.fakeQuantizeS8(x, mask, scale, zp, channels, inner);
            assertArrayEquals(expected, dy.toFloats());
            assertArrayEquals(mask, dmask.toBytes());

            float[] gradOut = new float[n];
            for (int i = 0; i < n; i++) gradOut[i] = (float) rnd.nextGaussian();
            try (DeviceBuffer dg = DeviceBuffer.of(gradOut); DeviceBuffer dgi = DeviceBuffer.allocate(4L * n)) {
                d.kernel("nnc_fake_quantize_s8_backward").launch1d(n, 256, dg, dmask, dgi, (long) n);
                assertArrayEquals(QuantArithmetic.fakeQuantizeS8Backward(gradOut, mask), dgi.toFloats());
            }
        }
    }
}
