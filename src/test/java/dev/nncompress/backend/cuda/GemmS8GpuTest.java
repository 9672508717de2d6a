package dev.nncompress.backend.cuda;

import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.cuda.kernels.GemmS8;
import dev.nncompress.backend.ref.ReferenceGemmS8;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * cuda-kernels/gemm_s8.cu against its CPU twin ReferenceGemmS8, every variant in every epilogue mode,
 * on odd shapes (M/N tails, K not a multiple of 16, 64 or even 4). Tolerance: none, bit for bit: the
 * integer sums are exact and the epilogue's float steps are the same IEEE operations in both.
 */
@Tag("gpu")
class GemmS8GpuTest {
    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"1, 1, 1", "3, 5, 7", "17, 33, 65", "127, 129, 130", "128, 128, 64", "20, 9, 336", "129, 130, 48",
            "256, 96, 4096", "1000, 999, 1001"})
    void everyVariantAndModeMatchesTheTwinBitForBit(int m, int n, int k) {
        // The CPU emulation runs the tensor-core kernels too, their inline PTX emulated instruction by instruction
        // and warp by warp (cuda-kernels/emu/ptx_emu.h): there on the shapes of at most 16 block tiles x k-tiles,
        // which cover every M/N/K tail, both store paths and the cp.async ring wrapping around (20x9x336); the
        // two large shapes would take minutes. dp4a runs on every shape.
        boolean fewTiles = ceil(m, GemmS8.MMA_TILE) * ceil(n, GemmS8.MMA_TILE) * ceil(k, 64) <= 16;
        List<GemmS8.Variant> variants = Gpu.driverOrSkip().info().emulated() && !fewTiles
                ? List.of(GemmS8.Variant.DP4A) : List.of(GemmS8.Variant.values());
        SplittableRandom rnd = new SplittableRandom(m * 1_000_003L + n * 1009L + k);
        byte[] a = new byte[m * k], b = new byte[n * k];
        for (int i = 0; i < a.length; i++) a[i] = (byte) rnd.nextInt(-128, 128);
        for (int i = 0; i < b.length; i++) b[i] = (byte) rnd.nextInt(-128, 128);
        for (GemmS8Epilogue e : epilogues(b, n, k, rnd)) {
            GemmS8Output want = ReferenceGemmS8.gemmS8(a, b, m, n, k, e);
            for (GemmS8.Variant v : variants) {
                GemmS8Output got = GemmS8.run(v, a, b, m, n, k, e);
                String what = v + " (" + GemmS8.kernelName(v, k) + ") " + e.mode() + " relu=" + e.relu() + " zpA=" + e.zpA()
                        + " bias=" + (e.bias() != null) + " at " + m + "x" + n + "x" + k;
                switch (e.mode()) {
                    case S32 -> assertArrayEquals(want.s32(), got.s32(), what);
                    case F32 -> assertArrayEquals(want.f32(), got.f32(), what);
                    case S8 -> assertArrayEquals(want.s8(), got.s8(), what);
                }
            }
        }
    }

    private static long ceil(int a, int b) { return (a + b - 1) / b; }

    /** Scales that spread int8 outputs over the whole range, so rounding and clamping both happen. */
    private static List<GemmS8Epilogue> epilogues(byte[] b, int n, int k, SplittableRandom rnd) {
        float[] scale = new float[n], bias = new float[n];
        for (int j = 0; j < n; j++) {
            scale[j] = (float) ((0.5 + rnd.nextDouble()) / (5500 * Math.sqrt(k)));
            bias[j] = (float) (rnd.nextGaussian() * 0.2);
        }
        int[] wsum = ReferenceGemmS8.weightRowSums(b, n, k);
        return List.of(
                GemmS8Epilogue.s32(),
                GemmS8Epilogue.s32().withActivationZeroPoint(-37, wsum),
                GemmS8Epilogue.f32(scale, null, false),
                GemmS8Epilogue.f32(scale, bias, true).withActivationZeroPoint(11, wsum),
                GemmS8Epilogue.s8(scale, bias, false, 1f / 100, 4),
                GemmS8Epilogue.s8(scale, bias, true, 1f / 100, -5).withActivationZeroPoint(3, wsum));
    }
}
