package dev.nncompress.compress.share;

/**
 * How many shared values each layer kind gets: 2^{@code linearBits} centroids per linear weight, 2^{@code convBits}
 * per conv weight (Han et al.: 5 bits for fully connected, 8 for conv layers lose no accuracy on AlexNet), both in
 * [{@value #MIN_BITS}, {@value #MAX_BITS}] (8 bits: one byte a stored index at most).
 */
public record ShareConfig(int linearBits, int convBits) {
    public static final int MIN_BITS = 2;
    public static final int MAX_BITS = 8;

    public ShareConfig {
        check("linearBits", linearBits);
        check("convBits", convBits);
    }

    private static void check(String field, int bits) {
        if (bits < MIN_BITS || bits > MAX_BITS) {
            throw new IllegalArgumentException(field + " must be in [" + MIN_BITS + ", " + MAX_BITS + "], got " + bits);
        }
    }
}
