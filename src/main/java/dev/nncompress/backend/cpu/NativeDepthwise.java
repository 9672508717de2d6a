package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;

/**
 * The depthwise conv forward of {@code native/src/depthwise_f32.*} (JNI entry in {@code jni_depthwise.cpp}):
 * bit-identical to {@link CpuDepthwiseConv}'s Java loops (same phase planes, same sums in the same order),
 * with the taps of a 3x3 kernel fused into one vectorised pass over a block of a channel's images instead of a
 * copy and an axpy per tap. The best instruction set this CPU runs is chosen once ({@link #variant}); without the library
 * ({@link NativeLibrary}) the Java loops run. The planes, channel by channel, are split over {@link CpuPar}
 * threads, one JNI call per part; the native side checks the geometry and every block's length again.
 */
final class NativeDepthwise {
    /** Largest kh * kw the native kernel takes ({@code kDwMaxTaps}); larger windows stay on the Java loops. */
    static final int MAX_TAPS = 1024;
    /** Variant codes of the native library, slowest first. */
    static final int SCALAR = 0, AVX2 = 1, AVX512 = 2;

    /** The variant to run (tests and benchmarks may set another the CPU runs, or -1 for the Java loops); -1 without the library. */
    static volatile int variant = best();

    private NativeDepthwise() {}

    static native int supportedVariants();

    /**
     * Planes [from, to) of the forward in channel-major order (plane = channel * n + image: the native side stacks a
     * channel's images into one long grid); {@code shape} = {n, c, h, w, mult, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, oh, ow};
     * lengths in floats.
     */
    static native void forward(int variant, long x, long xLength, long w, long wLength, long bias, long biasLength, long y, long yLength,
                               int[] shape, int from, int to);

    /** Variants this CPU and library run as a bit mask (bit v for variant v), 0 without the library. */
    static int supported() { return NativeLibrary.load().loaded() ? supportedVariants() : 0; }

    private static int best() {
        int mask = supported();
        return mask == 0 ? -1 : 31 - Integer.numberOfLeadingZeros(mask);
    }

    /** Whether the native kernel takes this depthwise conv (library loaded, window small enough). */
    static boolean takes(ConvGeometry g) { return variant >= 0 && (long) g.kh() * g.kw() <= MAX_TAPS; }

    static void forward(ConvGeometry g, long x, long xLength, long w, long wLength, long bias, long biasLength, long out, long outLength) {
        Conv2dSpec s = g.spec();
        int[] shape = {g.n(), g.c(), g.h(), g.w(), g.oPerGroup(), g.kh(), g.kw(), s.strideH(), s.strideW(), s.padH(), s.padW(), s.padBottom(), s.padRight(),
            s.dilationH(), s.dilationW(), g.oh(), g.ow()};
        int v = variant;
        long perPlane = (long) g.oPerGroup() * g.p() * g.kh() * g.kw();
        CpuPar.forRange(g.n() * g.c(), (int) Math.max(1, CpuPar.MIN_PARALLEL / Math.max(1, perPlane)), 1,
                (from, to) -> forward(v, x, xLength, w, wLength, bias, biasLength, out, outLength, shape, from, to));
    }
}
