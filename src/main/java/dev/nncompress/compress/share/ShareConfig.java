package dev.nncompress.compress.share;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * How many shared values each layer gets: 2^{@code linearBits} centroids per linear weight, 2^{@code convBits} per
 * conv weight (Han et al.: 5 bits for fully connected, 8 for conv layers lose no accuracy on AlexNet), and
 * {@code layerBits} for the layers named there instead of their kind's (a small first conv layer whose code table
 * would cost more than 8-bit indices save, a large layer that takes fewer); all in [{@value #MIN_BITS},
 * {@value #MAX_BITS}] (8 bits: one byte a stored index at most). {@code biasBits}: 2^biasBits values for each of these
 * layers' bias too, or {@value #FLOAT_BIASES} for biases left float (the default: on a large model they are a rounding
 * error of the file, on LeNet-5 a seventh of the coded file).
 */
public record ShareConfig(int linearBits, int convBits, Map<String, Integer> layerBits, int biasBits) {
    public static final int MIN_BITS = 2;
    public static final int MAX_BITS = 8;
    public static final int FLOAT_BIASES = 0;

    public ShareConfig(int linearBits, int convBits) { this(linearBits, convBits, Map.of()); }

    public ShareConfig(int linearBits, int convBits, Map<String, Integer> layerBits) { this(linearBits, convBits, layerBits, FLOAT_BIASES); }

    public ShareConfig {
        check("linearBits", linearBits);
        check("convBits", convBits);
        if (biasBits != FLOAT_BIASES) check("biasBits", biasBits);
        layerBits = Map.copyOf(layerBits);
        for (var e : new TreeMap<>(layerBits).entrySet()) check("layerBits of " + e.getKey(), e.getValue());
    }

    /** The bits of {@code layer}: its own when named in {@code layerBits}, else its kind's. */
    public int bits(String layer, boolean conv) { return layerBits.getOrDefault(layer, conv ? convBits : linearBits); }

    /** IllegalArgumentException naming the first layer of {@code layerBits} (by name) that is not one of {@code layers}. */
    public void checkLayers(Collection<String> layers) {
        for (String name : new TreeMap<>(layerBits).keySet()) {
            if (!layers.contains(name)) throw new IllegalArgumentException(name + " is no conv/linear layer of the model (its layers: " + String.join(", ", layers) + ")");
        }
    }

    private static void check(String field, int bits) {
        if (bits < MIN_BITS || bits > MAX_BITS) {
            throw new IllegalArgumentException(field + " must be in [" + MIN_BITS + ", " + MAX_BITS + "], got " + bits);
        }
    }
}
