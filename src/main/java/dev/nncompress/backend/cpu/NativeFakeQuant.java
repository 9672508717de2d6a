package dev.nncompress.backend.cpu;

/**
 * Per-tensor fake quantisation to int8 and its straight-through backward in native code ({@code native/src/fakequant_f32*},
 * JNI entry in {@code jni_fakequant.cpp}; issue 23: QAT fake-quantises every activation of every step, and the Java loop,
 * a double rint per element through heap copies, cost more than the layer it follows): bit-identical to
 * {@code QuantArithmetic.fakeQuantizeS8Range}, the same float steps in AVX-512 lanes. The best variant this CPU runs is
 * chosen once ({@link #variant}); without the library, or for per-channel parameters (weights: small), the Java loop runs.
 * The native side checks the range against every block's length and the mask's.
 */
final class NativeFakeQuant {
    /** Variant codes of the native library. */
    static final int SCALAR = 0, AVX512 = 2;

    /** The variant to run (tests may set another the CPU runs, or -1 for the Java loop); -1 without the library. */
    static volatile int variant = best();

    private NativeFakeQuant() {}

    static native int supportedVariants();

    /** y and mask over elements [from, to) from x; lengths in floats, the mask one byte per element. */
    static native void forward(int variant, long x, long xLength, long y, long yLength, byte[] mask, int from, int to, float scale, float zeroPoint);

    /** dx over [from, to): g where the mask is 1, +0 where it is 0. */
    static native void backward(int variant, long g, long gLength, long dx, long dxLength, byte[] mask, int from, int to);

    /**
     * out = {min, max} of x[0, length) as a scan in index order finds them (a zero at an extreme with the sign of the first
     * such zero); false (out unchanged) when a value is NaN or infinite, or length is 0.
     */
    static native boolean minMax(int variant, long x, long length, float[] out);

    /** Variants this CPU and library run as a bit mask (bit v for variant v), 0 without the library. */
    static int supported() { return NativeLibrary.load().loaded() ? supportedVariants() : 0; }

    private static int best() {
        int mask = supported();
        return mask == 0 ? -1 : 31 - Integer.numberOfLeadingZeros(mask);
    }
}
