package dev.nncompress.backend.ref;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Inputs and the bit-for-bit check of the sparse kernel tests, CPU and CUDA alike (here, free of ND4J, so the
 * GPU test jar can carry it).
 */
public final class SparseFixtures {
    private SparseFixtures() {}

    /** n values in [-1, 1), each kept with probability {@code density} and zero otherwise. */
    public static float[] sparse(SplittableRandom rnd, int n, double density) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) if (rnd.nextDouble() < density) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** {@code got} (from {@code kernel}) has exactly the twin's bits, element by element. */
    public static void assertBits(float[] want, float[] got, String what, String kernel) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + ": element " + i + " twin " + want[i] + " " + kernel + " " + got[i]);
            }
        }
    }
}
