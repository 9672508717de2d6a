package dev.nncompress.backend.cpu;

import java.lang.reflect.Field;

/**
 * Raw float access to off-heap tensor memory. Plain loops over Unsafe reads measured 1.3-2x faster
 * than direct FloatBuffer get/put and, unlike ND4J transforms (4-20 us of JNI and op set-up per
 * call), cost nothing per call, which is what small tensors need.
 */
@SuppressWarnings("restriction")
final class Mem {
    static final sun.misc.Unsafe U;

    static {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            U = (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Mem() {}

    static float get(long base, long i) { return U.getFloat(base + (i << 2)); }

    static void put(long base, long i, float v) { U.putFloat(base + (i << 2), v); }

    static int getBits(long base, long i) { return U.getInt(base + (i << 2)); }

    static void putBits(long base, long i, int v) { U.putInt(base + (i << 2), v); }

    static void copy(long src, long dst, long floats) { U.copyMemory(src, dst, floats << 2); }

    static void zero(long base, long floats) { U.setMemory(base, floats << 2, (byte) 0); }

    static void toArray(long base, long offset, float[] dst, int dstOff, int len) {
        U.copyMemory(null, base + (offset << 2), dst, sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET + ((long) dstOff << 2), (long) len << 2);
    }

    static void fromArray(float[] src, int srcOff, long base, long offset, int len) {
        U.copyMemory(src, sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET + ((long) srcOff << 2), null, base + (offset << 2), (long) len << 2);
    }

    static void toArray(long base, long offset, int[] dst, int len) {
        U.copyMemory(null, base + (offset << 2), dst, sun.misc.Unsafe.ARRAY_INT_BASE_OFFSET, (long) len << 2);
    }

    static void fromArray(int[] src, long base, long offset, int len) {
        U.copyMemory(src, sun.misc.Unsafe.ARRAY_INT_BASE_OFFSET, null, base + (offset << 2), (long) len << 2);
    }
}
