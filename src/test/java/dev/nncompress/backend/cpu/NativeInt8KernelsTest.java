package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.Int8Kernels.PackedS8;
import dev.nncompress.backend.ref.JavaInt8Kernels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every native variant this CPU runs against the Java twin {@link JavaInt8Kernels}, bit for bit (ints
 * and bytes equal, floats equal in their raw bits): odd sizes around the tile and panel edges, every
 * epilogue mode with and without bias, ReLU and activation zero point, extreme operands that would
 * saturate a 16-bit pair sum, int32 wrap-around, NaN/infinite/denormal scales; im2col with padding and
 * strides. Skipped (with the reason) only when the library was not built, i.e. without g++.
 */
class NativeInt8KernelsTest {
    static final JavaInt8Kernels TWIN = new JavaInt8Kernels(1);

    @BeforeAll
    static void libraryBuilt() {
        boolean built = NativeInt8KernelsTest.class.getResource(NativeLibrary.RESOURCE) != null;
        assumeTrue(built, "native int8 kernels not built (no g++): " + NativeInt8Kernels.unavailableReason());
        // built but not loadable is a failure, not a skip
        assertEquals(null, NativeInt8Kernels.unavailableReason(), "the built library must load");
    }

    static List<String> variants() {
        List<String> out = new ArrayList<>();
        for (NativeInt8Kernels.Variant v : NativeInt8Kernels.cpuVariants()) out.add(v.label());
        return out;
    }

    @Test
    void thisMachineRunsEveryVariant() {
        // the development and CI machines have AVX-512 VNNI; elsewhere at least scalar must be there
        assertTrue(variants().contains("scalar"), "variants " + variants());
        java.util.Set<String> flags = NativeVariant.cpuFlags();
        if (flags.contains("avx512_vnni") && flags.contains("avx512bw") && flags.contains("avx512vl")) {
            assertEquals(List.of("scalar", "avx2", "avx512vnni"), variants());
        }
    }

    // ---- random GEMMs against the twin ----

    /** m, n, k around the tile (6 and 4 rows), panel (64 and 16 columns) and k-group (4 and 2) edges. */
    static final int[][] SHAPES = {
        {1, 1, 1}, {3, 17, 5}, {17, 3, 63}, {63, 65, 4}, {65, 63, 65}, {100, 100, 100}, {257, 130, 257}, {6, 64, 4},
        {12, 16, 8}, {7, 129, 3}, {5, 48, 2}, {13, 200, 31}, {24, 64, 288}, {2, 33, 1025},
        // n <= 8 (several rows per register: 2 x 8 or 4 x 4 columns), tails of the 16- and 32-row tiles
        {37, 8, 9}, {23, 4, 9}, {101, 7, 72}, {5, 2, 13}, {1, 8, 3}, {19, 5, 4}, {64, 6, 1}, {33, 3, 65}, {300, 8, 9}, {3, 1, 131}
    };

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void randomGemmsMatchTheTwinBitForBit(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 1);
        SplittableRandom rnd = new SplittableRandom(42);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            byte[] a = randomBytes(rnd, m * k);
            byte[] b = randomBytes(rnd, n * k);
            for (GemmS8Epilogue e : epilogues(rnd, n, b, k)) {
                GemmS8Output got = compare(nat, a, m, b, n, k, e, variant + " " + m + "x" + n + "x" + k + " " + describe(e));
                if (e.mode() == GemmS8Epilogue.Mode.S8 && m * n >= 1000) {
                    // outputs spread over many codes, or equality with the twin would prove little
                    long codes = java.util.stream.IntStream.range(0, m * n).map(i -> got.s8()[i]).distinct().count();
                    assertTrue(codes >= 20, variant + " " + describe(e) + ": only " + codes + " distinct int8 outputs");
                }
            }
        }
    }

    /** Every mode; bias or not; ReLU or not; zero point 0 or not (scales ~ 1/(k*128) so S8 outputs spread over the range). */
    static List<GemmS8Epilogue> epilogues(SplittableRandom rnd, int n, byte[] b, int k) {
        int[] wsum = dev.nncompress.backend.ref.ReferenceGemmS8.weightRowSums(b, n, k);
        float[] scale = new float[n];
        float[] bias = new float[n];
        for (int i = 0; i < n; i++) {
            scale[i] = (float) (rnd.nextDouble(0.2, 2.0) / (Math.sqrt(k) * 64));
            bias[i] = (float) rnd.nextGaussian();
        }
        List<GemmS8Epilogue> out = new ArrayList<>();
        out.add(GemmS8Epilogue.s32());
        out.add(GemmS8Epilogue.s32().withActivationZeroPoint(-37, wsum));
        for (boolean relu : new boolean[] {false, true}) {
            for (float[] bi : new float[][] {null, bias}) {
                out.add(GemmS8Epilogue.f32(scale, bi, relu));
                out.add(GemmS8Epilogue.s8(scale, bi, relu, 0.05f, relu ? -128 : 3));
                out.add(GemmS8Epilogue.s8(scale, bi, relu, 0.9f, -5).withActivationZeroPoint(101, wsum));
            }
        }
        out.add(GemmS8Epilogue.f32(scale, bias, true).withActivationZeroPoint(-128, wsum));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void extremeOperandsDoNotSaturate(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 1);
        int m = 7, n = 19, k = 1031;
        for (byte[] ab : new byte[][] {{-128, -128}, {127, 127}, {-128, 127}, {127, -128}}) {
            byte[] a = new byte[m * k];
            byte[] b = new byte[n * k];
            Arrays.fill(a, ab[0]);
            Arrays.fill(b, ab[1]);
            int[] got = new int[m * n];
            nat.gemm(a, m, nat.pack(b, n, k), GemmS8Epilogue.s32(), GemmS8Output.ofS32(got));
            int expected = ab[0] * ab[1] * k; // known in closed form, independent of the twin
            for (int i = 0; i < got.length; i++) assertEquals(expected, got[i], variant + " " + Arrays.toString(ab) + " at " + i);
            // vpmaddubsw would saturate the pair sum of (-128)*(-128) + (-128)*(-128): alternate signs too
            for (int i = 0; i < a.length; i++) a[i] = (byte) (i % 2 == 0 ? -128 : 127);
            compare(nat, a, m, b, n, k, GemmS8Epilogue.s32(), variant + " alternating A, B " + ab[1]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void int32SumsWrapAsTheTwin(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 1);
        int m = 2, n = 17, k = 140_000; // 140000 * 128 * 128 > 2^31
        byte[] a = new byte[m * k];
        byte[] b = new byte[n * k];
        Arrays.fill(a, (byte) -128);
        Arrays.fill(b, (byte) -128);
        int[] got = new int[m * n];
        nat.gemm(a, m, nat.pack(b, n, k), GemmS8Epilogue.s32(), GemmS8Output.ofS32(got));
        assertEquals((int) (128L * 128L * k), got[0], "wrapped sum");
        compare(nat, a, m, b, n, k, GemmS8Epilogue.s32().withActivationZeroPoint(127, new int[n]), variant + " wrap with zpA");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void specialFloatsInTheEpilogue(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 1);
        SplittableRandom rnd = new SplittableRandom(7);
        int m = 9, n = 40, k = 33;
        byte[] a = randomBytes(rnd, m * k);
        byte[] b = randomBytes(rnd, n * k);
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e30f, -1e30f, Float.MIN_VALUE, 1e-40f, -0f, 0f,
            Float.MAX_VALUE, 1f, -1f, 0.5f, 1e-3f};
        float[] scale = new float[n];
        float[] bias = new float[n];
        for (int i = 0; i < n; i++) {
            scale[i] = specials[i % specials.length];
            bias[i] = specials[(i * 5 + 3) % specials.length];
        }
        for (boolean relu : new boolean[] {false, true}) {
            compare(nat, a, m, b, n, k, GemmS8Epilogue.f32(scale, bias, relu), variant + " f32 specials relu " + relu);
            compare(nat, a, m, b, n, k, GemmS8Epilogue.f32(scale, null, relu), variant + " f32 special scales relu " + relu);
            for (float outScale : new float[] {1f, 0.5f, 1e-30f, 3e38f, Float.MIN_VALUE}) {
                compare(nat, a, m, b, n, k, GemmS8Epilogue.s8(scale, bias, relu, outScale, 7), variant + " s8 specials " + outScale);
            }
        }
        // exact halves: acc / 2 with outScale 2 lands on x.5 for every odd acc (round half to even)
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        compare(nat, a, m, b, n, k, GemmS8Epilogue.s8(ones, null, false, 2f, 0), variant + " ties");
        compare(nat, a, m, b, n, k, GemmS8Epilogue.s8(ones, null, false, 2f, -1), variant + " ties zp -1");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void resultsDoNotDependOnThreads(String variant) {
        SplittableRandom rnd = new SplittableRandom(3);
        int m = 1031, n = 70, k = 96; // 7M multiply-adds: two parts
        byte[] a = randomBytes(rnd, m * k);
        byte[] b = randomBytes(rnd, n * k);
        NativeInt8Kernels two = NativeInt8Kernels.of(variant, 2);
        for (GemmS8Epilogue e : epilogues(rnd, n, b, k)) compare(two, a, m, b, n, k, e, variant + " 2 threads " + describe(e));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void rowsBeyondMAreNeitherReadNorWritten(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 1);
        SplittableRandom rnd = new SplittableRandom(5);
        int m = 5, n = 21, k = 13;
        byte[] a = randomBytes(rnd, m * k + 40); // longer than m*k: the rest must not matter
        byte[] b = randomBytes(rnd, n * k);
        float[] out = new float[m * n + 50];
        Arrays.fill(out, -7f);
        float[] scale = new float[n];
        Arrays.fill(scale, 0.25f);
        nat.gemm(a, m, nat.pack(b, n, k), GemmS8Epilogue.f32(scale, null, false), GemmS8Output.ofF32(out));
        GemmS8Output ref = GemmS8Output.ofF32(new float[m * n]);
        TWIN.gemm(Arrays.copyOf(a, m * k), m, TWIN.pack(b, n, k), GemmS8Epilogue.f32(scale, null, false), ref);
        assertArrayEquals(ref.f32(), Arrays.copyOf(out, m * n));
        for (int i = m * n; i < out.length; i++) assertEquals(-7f, out[i], "written beyond m*n at " + i);
    }

    @Test
    void wrongPackingAndBadSizesAreRejectedWithTheTwinsMessages() {
        String best = variants().get(variants().size() - 1);
        NativeInt8Kernels nat = NativeInt8Kernels.of(best, 1);
        byte[] b = new byte[6];
        PackedS8 javaPacked = TWIN.pack(b, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> nat.gemm(new byte[3], 1, javaPacked, GemmS8Epilogue.s32(), GemmS8Output.ofS32(new int[2])));
        assertTrue(e.getMessage().contains("packed by another implementation"), e.getMessage());
        if (variants().size() > 1) {
            PackedS8 scalarPacked = NativeInt8Kernels.of("scalar", 1).pack(b, 2, 3);
            e = assertThrows(IllegalArgumentException.class,
                    () -> nat.gemm(new byte[3], 1, scalarPacked, GemmS8Epilogue.s32(), GemmS8Output.ofS32(new int[2])));
            assertTrue(e.getMessage().contains("packed by native-scalar"), e.getMessage());
        }
        PackedS8 p = nat.pack(b, 2, 3);
        for (Int8Kernels impl : new Int8Kernels[] {nat, TWIN}) {
            PackedS8 q = impl == nat ? p : javaPacked;
            String shortA = assertThrows(IllegalArgumentException.class,
                    () -> impl.gemm(new byte[5], 2, q, GemmS8Epilogue.s32(), GemmS8Output.ofS32(new int[4]))).getMessage();
            assertTrue(shortA.contains("A has 5 bytes"), shortA);
            String shortOut = assertThrows(IllegalArgumentException.class,
                    () -> impl.gemm(new byte[6], 2, q, GemmS8Epilogue.s32(), GemmS8Output.ofS32(new int[3]))).getMessage();
            assertTrue(shortOut.contains("output holds 3 elements, needs 4"), shortOut);
            String channels = assertThrows(IllegalArgumentException.class, () -> impl.gemm(new byte[6], 2, q,
                    GemmS8Epilogue.f32(new float[3], null, false), GemmS8Output.ofF32(new float[4]))).getMessage();
            assertTrue(channels.contains("3 scales for n = 2"), channels);
            String packSize = assertThrows(IllegalArgumentException.class, () -> impl.pack(new byte[5], 2, 3)).getMessage();
            assertTrue(packSize.contains("not n*k"), packSize);
        }
        assertThrows(IllegalArgumentException.class, () -> NativeInt8Kernels.of("sse9", 1));
        assertThrows(IllegalArgumentException.class, () -> NativeInt8Kernels.of(best, 0));
    }

    // ---- im2col ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void im2colMatchesTheTwin(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 2);
        SplittableRandom rnd = new SplittableRandom(11);
        // {n, c, h, w, kh, kw, strideH, strideW, padH, padW}
        int[][] cases = {
            {1, 1, 5, 5, 3, 3, 1, 1, 1, 1}, {2, 3, 7, 6, 3, 3, 2, 2, 1, 1}, {1, 16, 9, 9, 5, 5, 1, 1, 2, 2}, {3, 17, 8, 5, 2, 3, 3, 1, 0, 2},
            {1, 4, 4, 4, 1, 1, 1, 1, 0, 0}, {2, 2, 3, 3, 3, 3, 1, 1, 2, 2}, {1, 5, 6, 11, 3, 1, 2, 3, 1, 0}, {64, 32, 14, 14, 3, 3, 1, 1, 1, 1},
            // kernel rows of a few bytes (the small-copy paths: 1, 2, 3, 4..7, 8..15 bytes, cut by the padding)
            {2, 2, 5, 4, 1, 1, 1, 1, 0, 0}, {1, 1, 6, 6, 2, 2, 1, 1, 1, 1}, {1, 4, 5, 5, 3, 3, 1, 1, 1, 1}, {1, 1, 9, 9, 7, 7, 1, 1, 3, 3},
            {2, 5, 4, 7, 3, 3, 1, 2, 1, 1}
        };
        for (int[] t : cases) {
            Conv2dSpec spec = new Conv2dSpec(t[6], t[7], t[8], t[9]);
            int oh = spec.outH(t[2], t[4]), ow = spec.outW(t[3], t[5]);
            ConvGeometry g = new ConvGeometry(t[0], t[1], t[2], t[3], 8, t[4], t[5], oh, ow, spec);
            byte[] x = randomBytes(rnd, t[0] * t[1] * t[2] * t[3]);
            int len = t[0] * oh * ow * t[4] * t[5] * t[1];
            byte[] want = new byte[len];
            byte[] got = new byte[len];
            Arrays.fill(got, (byte) 55);
            byte pad = (byte) (rnd.nextInt(256) - 128);
            TWIN.im2col(x, g, pad, want);
            nat.im2col(x, g, pad, got);
            assertArrayEquals(want, got, variant + " im2col " + Arrays.toString(t));
        }
        ConvGeometry g = new ConvGeometry(1, 2, 4, 4, 1, 3, 3, 4, 4, Conv2dSpec.of(1, 1));
        String msg = assertThrows(IllegalArgumentException.class, () -> nat.im2col(new byte[31], g, (byte) 0, new byte[288])).getMessage();
        assertTrue(msg.contains("input too small"), msg);
        msg = assertThrows(IllegalArgumentException.class, () -> nat.im2col(new byte[32], g, (byte) 0, new byte[287])).getMessage();
        assertTrue(msg.contains("cols too small"), msg);
    }

    // ---- fused conv (im2col + GEMM) ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void fusedConvMatchesTheTwinsIm2colThenGemm(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 2);
        SplittableRandom rnd = new SplittableRandom(23);
        // {n, c, h, w, o, kh, kw, strideH, strideW, padH, padW}: the student's and teacher's shapes, odd
        // sizes, strides, more lines than one cols block (several blocks per thread), pads wider than the image
        int[][] cases = {{3, 1, 28, 28, 8, 3, 3, 1, 1, 1, 1}, {2, 8, 14, 14, 16, 3, 3, 1, 1, 1, 1}, {1, 1, 5, 5, 1, 3, 3, 1, 1, 1, 1},
            {2, 3, 7, 6, 5, 3, 3, 2, 2, 1, 1}, {1, 17, 9, 9, 33, 5, 5, 1, 1, 2, 2}, {3, 5, 8, 5, 70, 2, 3, 3, 1, 0, 2},
            {2, 2, 3, 3, 3, 3, 3, 1, 1, 2, 2}, {12, 32, 28, 28, 64, 3, 3, 1, 1, 1, 1}, {3, 64, 14, 14, 128, 3, 3, 1, 1, 1, 1},
            // one input channel (VNNI: n 8 the one-channel kernel, pixels in lanes; n > 8 the in-place tiles with
            // each kernel row's kw bytes padded to a 4-byte group by zero weights, as for 17 x 5 and 5 x 3 above):
            // kw 1..4, stride h 2, lines of 16 pixels and a tail, pads wider than the image, 64 channels
            {2, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1}, {2, 1, 9, 7, 16, 3, 3, 2, 1, 1, 1}, {1, 1, 20, 37, 24, 4, 4, 1, 1, 2, 2},
            {2, 1, 3, 3, 8, 3, 3, 1, 1, 2, 2}, {1, 1, 6, 17, 64, 5, 1, 1, 1, 2, 0}, {1, 1, 7, 33, 8, 2, 2, 1, 1, 0, 0},
            // kw * c a multiple of 4 and n > 8 (VNNI: the tiles read the padded image in place, no im2col), odd
            // sizes, strides and pads; tiles of 6 pixels across line and image ends (ow 3, 5); two panels, the
            // second partial (n 70); kw 1; pads wider than half the kernel
            {2, 4, 7, 9, 12, 3, 3, 2, 1, 1, 1}, {1, 12, 5, 6, 9, 1, 2, 1, 2, 0, 1}, {2, 4, 6, 5, 70, 5, 5, 2, 2, 2, 2},
            {3, 16, 3, 4, 24, 3, 1, 1, 1, 1, 0}, {3, 2, 5, 5, 20, 2, 2, 1, 1, 1, 1}, {2, 8, 5, 5, 9, 3, 3, 1, 1, 2, 2}};
        for (int[] t : cases) {
            Conv2dSpec spec = new Conv2dSpec(t[7], t[8], t[9], t[10]);
            int oh = spec.outH(t[2], t[5]), ow = spec.outW(t[3], t[6]);
            ConvGeometry g = new ConvGeometry(t[0], t[1], t[2], t[3], t[4], t[5], t[6], oh, ow, spec);
            byte[] x = randomBytes(rnd, t[0] * t[1] * t[2] * t[3]);
            byte[] wt = randomBytes(rnd, g.o() * g.ckk());
            byte pad = (byte) (rnd.nextInt(256) - 128);
            int m = g.n() * g.p();
            for (GemmS8Epilogue e : epilogues(rnd, g.o(), wt, g.ckk())) {
                    byte[] cols = new byte[m * g.ckk()];
                TWIN.im2col(x, g, pad, cols);
                GemmS8Output want = output(e.mode(), m * g.o());
                TWIN.gemm(cols, m, TWIN.pack(wt, g.o(), g.ckk()), e, want);
                GemmS8Output got = output(e.mode(), m * g.o());
                nat.conv(x, g, pad, nat.pack(wt, g.o(), g.ckk()), e, got);
                String what = variant + " conv " + Arrays.toString(t) + " " + describe(e);
                switch (e.mode()) {
                    case S32 -> assertArrayEquals(want.s32(), got.s32(), what);
                    case S8 -> assertArrayEquals(want.s8(), got.s8(), what);
                    case F32 -> assertArrayEquals(want.f32(), got.f32(), what); // no NaN here: bits equal iff values equal
                }
            }
        }
        ConvGeometry g = new ConvGeometry(1, 2, 4, 4, 3, 3, 3, 4, 4, Conv2dSpec.of(1, 1));
        for (Int8Kernels impl : new Int8Kernels[] {nat, TWIN}) {
            PackedS8 w = impl.pack(new byte[3 * 18], 3, 18);
            PackedS8 wrongK = impl.pack(new byte[3 * 17], 3, 17);
            String msg = assertThrows(IllegalArgumentException.class,
                    () -> impl.conv(new byte[31], g, (byte) 0, w, GemmS8Epilogue.s32(), GemmS8Output.ofS32(new int[48]))).getMessage();
            assertTrue(msg.contains("input too small"), msg);
            msg = assertThrows(IllegalArgumentException.class,
                    () -> impl.conv(new byte[32], g, (byte) 0, wrongK, GemmS8Epilogue.s32(), GemmS8Output.ofS32(new int[48]))).getMessage();
            assertTrue(msg.contains("weights have k = 17"), msg);
            msg = assertThrows(IllegalArgumentException.class,
                    () -> impl.conv(new byte[32], g, (byte) 0, w, GemmS8Epilogue.s32(), GemmS8Output.ofS32(new int[47]))).getMessage();
            assertTrue(msg.contains("output holds 47 elements, needs 48"), msg);
        }
    }

    // ---- data movement between layers ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void quantizeToNhwcMatchesTheTwin(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 2);
        SplittableRandom rnd = new SplittableRandom(13);
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, 1e-40f, Float.MAX_VALUE, -Float.MAX_VALUE};
        // {n, c, hw}: one channel (the engine's case), several, odd sizes, enough images for two parts
        int[][] cases = {{1, 1, 1}, {3, 1, 17}, {2, 3, 5}, {5, 8, 13}, {1, 17, 33}, {300, 1, 784}, {37, 3, 49}};
        for (int[] t : cases) {
            int count = t[0] * t[1] * t[2];
            float scale = (float) rnd.nextDouble(0.001, 0.1);
            int zp = rnd.nextInt(256) - 128;
            float[] x = new float[count];
            for (int i = 0; i < count; i++) {
                int kind = rnd.nextInt(10);
                // exact halves (ties to even), specials, and values spread past both clamps
                x[i] = kind == 0 ? (rnd.nextInt(300) - 150 + 0.5f) * scale : kind == 1 ? specials[rnd.nextInt(specials.length)]
                        : (float) (rnd.nextGaussian() * 100 * scale);
            }
            byte[] want = new byte[count];
            byte[] got = new byte[count];
            Arrays.fill(got, (byte) 55);
            TWIN.quantizeToNhwc(x, t[0], t[1], t[2], scale, zp, want);
            nat.quantizeToNhwc(x, t[0], t[1], t[2], scale, zp, got);
            assertArrayEquals(want, got, variant + " quantize " + Arrays.toString(t));
            assertTrue(IntStream.range(0, count).map(i -> want[i]).distinct().count() >= Math.min(count, 20), "codes spread");
        }
        for (Int8Kernels impl : new Int8Kernels[] {nat, TWIN}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> impl.quantizeToNhwc(new float[5], 2, 1, 3, 1f, 0, new byte[6])).getMessage();
            assertTrue(msg.contains("fewer than n*c*hw = 6"), msg);
            assertThrows(IllegalArgumentException.class, () -> impl.quantizeToNhwc(new float[6], 2, 1, 3, 0f, 0, new byte[6]));
            assertThrows(IllegalArgumentException.class, () -> impl.quantizeToNhwc(new float[6], -2, 1, 3, 1f, 0, new byte[6]));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void maxPoolMatchesTheTwin(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 2);
        SplittableRandom rnd = new SplittableRandom(17);
        // {n, h, w, c, kh, kw, strideH, strideW, padH, padW}
        int[][] cases = {{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, {2, 28, 28, 8, 2, 2, 2, 2, 0, 0}, {3, 7, 9, 3, 3, 3, 2, 2, 1, 1},
            {2, 5, 6, 17, 3, 3, 1, 1, 1, 1}, {1, 9, 7, 64, 2, 3, 1, 3, 1, 1}, {4, 15, 15, 16, 2, 2, 2, 2, 1, 1}, {300, 14, 14, 16, 2, 2, 2, 2, 0, 0},
            {2, 5, 5, 130, 2, 2, 2, 2, 1, 1}}; // more than 64 channels: two and a bit registers
        for (int[] t : cases) {
            dev.nncompress.backend.Pool2dSpec s = new dev.nncompress.backend.Pool2dSpec(t[4], t[5], t[6], t[7], t[8], t[9]);
            int n = t[0], h = t[1], w = t[2], c = t[3];
            byte[] x = randomBytes(rnd, n * h * w * c);
            int len = n * s.outH(h) * s.outW(w) * c;
            byte[] want = new byte[len];
            byte[] got = new byte[len];
            Arrays.fill(got, (byte) 55);
            TWIN.maxPool(x, n, h, w, c, s, want);
            nat.maxPool(x, n, h, w, c, s, got);
            assertArrayEquals(want, got, variant + " max-pool " + Arrays.toString(t));
        }
        dev.nncompress.backend.Pool2dSpec two = dev.nncompress.backend.Pool2dSpec.square(2);
        for (Int8Kernels impl : new Int8Kernels[] {nat, TWIN}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> impl.maxPool(new byte[31], 2, 4, 4, 1, two, new byte[8])).getMessage();
            assertTrue(msg.contains("arrays too small"), msg);
            msg = assertThrows(IllegalArgumentException.class, () -> impl.maxPool(new byte[32], 2, 4, 4, 1, two, new byte[7])).getMessage();
            assertTrue(msg.contains("arrays too small"), msg);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void nhwcToNchwMatchesTheTwin(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 2);
        SplittableRandom rnd = new SplittableRandom(19);
        int[][] cases = {{1, 1, 1}, {2, 49, 16}, {3, 5, 7}, {1, 1, 33}, {4, 31, 1}, {300, 49, 16}, {3, 49, 128}, {2, 33, 50}, {1, 16, 16}};
        for (int[] t : cases) {
            byte[] x = randomBytes(rnd, t[0] * t[1] * t[2]);
            byte[] want = new byte[x.length];
            byte[] got = new byte[x.length];
            TWIN.nhwcToNchw(x, t[0], t[1], t[2], want);
            nat.nhwcToNchw(x, t[0], t[1], t[2], got);
            assertArrayEquals(want, got, variant + " nhwc to nchw " + Arrays.toString(t));
        }
        for (Int8Kernels impl : new Int8Kernels[] {nat, TWIN}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> impl.nhwcToNchw(new byte[11], 2, 3, 2, new byte[12])).getMessage();
            assertTrue(msg.contains("fewer than 2*3*2"), msg);
        }
    }

    // ---- helpers ----

    static byte[] randomBytes(SplittableRandom rnd, int len) {
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) out[i] = (byte) rnd.nextInt(256);
        return out;
    }

    static String describe(GemmS8Epilogue e) {
        return e.mode() + (e.bias() != null ? " bias" : "") + (e.relu() ? " relu" : "") + (e.zpA() != 0 ? " zpA " + e.zpA() : "");
    }

    /** The native result equals the twin's: ints and bytes exactly, floats in their raw bits. */
    static GemmS8Output compare(Int8Kernels nat, byte[] a, int m, byte[] b, int n, int k, GemmS8Epilogue e, String what) {
        GemmS8Output want = output(e.mode(), m * n);
        GemmS8Output got = output(e.mode(), m * n);
        TWIN.gemm(a, m, TWIN.pack(b, n, k), e, want);
        nat.gemm(a, m, nat.pack(b, n, k), e, got);
        switch (e.mode()) {
            case S32 -> assertArrayEquals(want.s32(), got.s32(), what);
            case S8 -> assertArrayEquals(want.s8(), got.s8(), what);
            case F32 -> {
                for (int i = 0; i < m * n; i++) {
                    int w = Float.floatToRawIntBits(want.f32()[i]), g = Float.floatToRawIntBits(got.f32()[i]);
                    if (w != g) fail(what + ": element " + i + " (row " + i / n + ", col " + i % n + ") twin " + want.f32()[i] + " native " + got.f32()[i]);
                }
            }
        }
        return got;
    }

    static GemmS8Output output(GemmS8Epilogue.Mode mode, int len) {
        return switch (mode) {
            case S32 -> GemmS8Output.ofS32(new int[len]);
            case F32 -> GemmS8Output.ofF32(new float[len]);
            case S8 -> GemmS8Output.ofS8(new byte[len]);
        };
    }
}
