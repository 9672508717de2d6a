package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ref.RefActivations;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stated errors of {@link FastActivations} against the reference's double-precision definitions, over floats across [-20, 20]. */
class FastActivationsTest {
    @Test
    void errorsOverEveryFloatInRangeAreTheStatedOnes() {
        double tanhErr = 0, sigmoidErr = 0;
        int n = 0;
        // every 251st float from -20 to 20 (all 2.2e9 would take minutes; this visits every binade densely, 9 million
        // inputs in about 2 s); every 61st gave the same maxima, 3.52e-7 and 2.03e-7
        for (int bits = Float.floatToRawIntBits(20f); bits >= 0; bits -= 251) {
            for (float x : new float[] {Float.intBitsToFloat(bits), -Float.intBitsToFloat(bits)}) {
                tanhErr = Math.max(tanhErr, Math.abs((double) FastActivations.tanh(x) - Math.tanh(x)));
                sigmoidErr = Math.max(sigmoidErr, Math.abs((double) FastActivations.sigmoid(x) - 1.0 / (1.0 + Math.exp(-(double) x))));
                n++;
            }
        }
        System.out.printf(java.util.Locale.ROOT, "%d inputs: max abs error tanh %.2e, sigmoid %.2e%n", n, tanhErr, sigmoidErr);
        assertTrue(tanhErr <= 3.6e-7, "tanh error " + tanhErr);
        assertTrue(sigmoidErr <= 2.1e-7, "sigmoid error " + sigmoidErr);
        // and against the reference backend's float results at the points the contract test uses
        for (float x : new float[] {-3f, 3f, 6f, 0.75f, -0.5f, -2.5f, 2.5f, 100f, -100f}) {
            assertEquals(RefActivations.tanh(x), FastActivations.tanh(x), 4e-7f, "tanh " + x);
            assertEquals(RefActivations.sigmoid(x), FastActivations.sigmoid(x), 2.1e-7f, "sigmoid " + x);
        }
    }

    @Test
    void specialValues() {
        assertTrue(Float.isNaN(FastActivations.tanh(Float.NaN)) && Float.isNaN(FastActivations.sigmoid(Float.NaN)));
        assertEquals(1f, FastActivations.tanh(Float.POSITIVE_INFINITY), 1e-7f);
        assertEquals(-1f, FastActivations.tanh(Float.NEGATIVE_INFINITY), 1e-7f);
        assertEquals(1f, FastActivations.sigmoid(Float.POSITIVE_INFINITY), 1e-7f);
        assertEquals(0f, FastActivations.sigmoid(Float.NEGATIVE_INFINITY), 1e-7f);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(FastActivations.tanh(-0f)), "tanh(-0) is -0");
        assertEquals(0.5f, FastActivations.sigmoid(0f));
    }
}
