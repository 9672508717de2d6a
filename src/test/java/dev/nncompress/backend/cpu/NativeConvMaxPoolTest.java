package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.Int8Kernels.PackedS8;
import dev.nncompress.backend.Pool2dSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.nncompress.backend.cpu.NativeInt8KernelsTest.TWIN;
import static dev.nncompress.backend.cpu.NativeInt8KernelsTest.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code convMaxPool} (the max-pool fused into the conv's epilogue on VNNI; conv then max-pool elsewhere) against
 * the twin's conv then max-pool, bit for bit: the teacher's conv2/conv3 shapes, odd sizes whose last conv lines and
 * columns no window covers, windows 1x1 to 5x5 and non-square, strides and pads of the conv, two panels, pooled
 * lines split over threads and across images, kernel rows of kw * c bytes not whole 4-byte groups (weights padded
 * per row); n <= 8 goes the unfused way. The same bad arguments are refused by both.
 */
class NativeConvMaxPoolTest {
    @BeforeAll
    static void libraryBuilt() { NativeInt8KernelsTest.libraryBuilt(); }

    static List<String> variants() { return NativeInt8KernelsTest.variants(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void fusedConvAndMaxPoolMatchTheTwinsConvThenPool(String variant) {
        SplittableRandom rnd = new SplittableRandom(31);
        // {n, c, h, w, o, kh, kw, strideH, strideW, padH, padW, poolH, poolW}
        int[][] cases = {{2, 32, 28, 28, 64, 3, 3, 1, 1, 1, 1, 2, 2}, {1, 64, 14, 14, 128, 3, 3, 1, 1, 1, 1, 2, 2},
            {2, 8, 13, 11, 24, 3, 3, 1, 1, 1, 1, 2, 2}, {2, 4, 15, 9, 40, 3, 1, 1, 1, 0, 0, 3, 2}, {2, 12, 17, 17, 72, 3, 3, 2, 2, 1, 1, 2, 3},
            {1, 16, 5, 5, 16, 3, 3, 1, 1, 1, 1, 5, 5}, {2, 4, 9, 9, 200, 2, 2, 1, 1, 1, 1, 1, 1}, {7, 4, 6, 7, 12, 3, 3, 1, 1, 1, 1, 2, 2},
            // n <= 8 (unfused); kw * c not whole groups: 3 x 3 of 3 channels, one input channel, 5 x 5 of 6 (row-padded weights)
            {2, 8, 14, 14, 8, 3, 3, 1, 1, 1, 1, 2, 2}, {2, 3, 10, 10, 16, 3, 3, 1, 1, 1, 1, 2, 2}, {2, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 2, 2}, {2, 6, 12, 11, 16, 5, 5, 1, 1, 0, 0, 2, 2}};
        for (int threads : new int[] {1, 2}) {
            NativeInt8Kernels nat = NativeInt8Kernels.of(variant, threads);
            for (int[] t : cases) {
                Conv2dSpec spec = new Conv2dSpec(t[7], t[8], t[9], t[10]);
                int oh = spec.outH(t[2], t[5]), ow = spec.outW(t[3], t[6]);
                ConvGeometry g = new ConvGeometry(t[0], t[1], t[2], t[3], t[4], t[5], t[6], oh, ow, spec);
                Pool2dSpec pool = new Pool2dSpec(t[11], t[12], t[11], t[12], 0, 0);
                byte[] x = randomBytes(rnd, t[0] * t[1] * t[2] * t[3]);
                byte[] wt = randomBytes(rnd, g.o() * g.ckk());
                byte pad = (byte) (rnd.nextInt(256) - 128);
                int pooled = g.n() * pool.outH(oh) * pool.outW(ow) * g.o();
                for (GemmS8Epilogue e : NativeInt8KernelsTest.epilogues(rnd, g.o(), wt, g.ckk())) {
                    if (e.mode() != GemmS8Epilogue.Mode.S8) continue;
                    byte[] full = new byte[g.n() * g.p() * g.o()];
                    TWIN.conv(x, g, pad, TWIN.pack(wt, g.o(), g.ckk()), e, GemmS8Output.ofS8(full));
                    byte[] want = new byte[pooled];
                    TWIN.maxPool(full, g.n(), oh, ow, g.o(), pool, want);
                    byte[] got = new byte[pooled + 1];
                    got[pooled] = 99; // nothing past the output is written
                    nat.convMaxPool(x, g, pad, nat.pack(wt, g.o(), g.ckk()), e, pool, got);
                    String what = variant + " threads " + threads + " " + Arrays.toString(t) + " " + NativeInt8KernelsTest.describe(e);
                    assertArrayEquals(want, Arrays.copyOf(got, pooled), what);
                    assertEquals(99, got[pooled], what);
                    long codes = java.util.stream.IntStream.range(0, pooled).map(i -> want[i]).distinct().count();
                    assertTrue(pooled < 500 || codes >= 10, what + ": only " + codes + " distinct codes");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void badArgumentsAreRefusedAsByTheTwin(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 1);
        ConvGeometry g = new ConvGeometry(1, 4, 6, 6, 16, 3, 3, 6, 6, Conv2dSpec.of(1, 1));
        float[] ones = new float[16];
        Arrays.fill(ones, 1f);
        GemmS8Epilogue s8 = GemmS8Epilogue.s8(ones, null, true, 0.5f, 0);
        Pool2dSpec two = Pool2dSpec.square(2);
        for (Int8Kernels impl : new Int8Kernels[] {nat, TWIN}) {
            PackedS8 w = impl.pack(new byte[16 * 36], 16, 36);
            byte[] x = new byte[144];
            String msg = assertThrows(IllegalArgumentException.class,
                    () -> impl.convMaxPool(x, g, (byte) 0, w, GemmS8Epilogue.f32(ones, null, false), two, new byte[144])).getMessage();
            assertTrue(msg.contains("takes an S8 epilogue"), msg);
            msg = assertThrows(IllegalArgumentException.class,
                    () -> impl.convMaxPool(x, g, (byte) 0, w, s8, new Pool2dSpec(3, 3, 2, 2, 0, 0), new byte[400])).getMessage();
            assertTrue(msg.contains("must tile the output"), msg);
            msg = assertThrows(IllegalArgumentException.class,
                    () -> impl.convMaxPool(x, g, (byte) 0, w, s8, Pool2dSpec.square(7), new byte[400])).getMessage();
            assertTrue(msg.contains("larger than the output"), msg);
            msg = assertThrows(IllegalArgumentException.class, () -> impl.convMaxPool(x, g, (byte) 0, w, s8, two, new byte[143])).getMessage();
            assertTrue(msg.contains("y holds 143 codes, needs 144"), msg);
            msg = assertThrows(IllegalArgumentException.class, () -> impl.convMaxPool(new byte[143], g, (byte) 0, w, s8, two, new byte[144])).getMessage();
            assertTrue(msg.contains("input too small"), msg);
        }
    }
}
