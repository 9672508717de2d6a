package dev.nncompress.compress.quant.calib;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QScheme;

import java.util.Arrays;
import java.util.Locale;

/**
 * Which int8 form {@link QuantTargets} quantises to (CLI {@code quantize --preset}).
 *
 * <ul>
 *   <li>{@link #DEFAULT}: affine activations per tensor (a ReLU output [0, t] uses all 256 codes), symmetric weights
 *       per output channel with torch's scale {@code max|w| / 127.5} (codes in [-128, 127]).</li>
 *   <li>{@link #TENSORRT}: what TensorRT's explicit (QDQ) quantisation takes: symmetric activations (int8, zero point
 *       0; torch's symmetric scale {@code max|x| / 127.5}, codes in [-128, 127]) and narrow-range weights, scale
 *       {@code max|w| / 127} per output channel, so every code is in [-127, 127] (TensorRT's weight range). A ReLU
 *       output then uses codes 0..127 only, one bit fewer than the default: the accuracy this costs is measured in
 *       {@code docs/onnx-export.md}.</li>
 * </ul>
 */
public enum QuantPreset {
    DEFAULT(QuantTargets.ACTIVATION_SCHEME),
    TENSORRT(QScheme.perTensorSymmetric(QDType.INT8));

    /** The weight scheme of both presets: symmetric int8 per output channel (dim 0). */
    public static final QScheme WEIGHT_SCHEME = QScheme.perChannelSymmetric(QDType.INT8, 0);

    /** TensorRT's int8 weight range, [-NARROW_MAX, NARROW_MAX]. */
    public static final int NARROW_MAX = 127;

    private final QScheme activationScheme;

    QuantPreset(QScheme activationScheme) { this.activationScheme = activationScheme; }

    /** The scheme of every observed activation. */
    public QScheme activationScheme() { return activationScheme; }

    /** The CLI name: default, tensorrt. */
    public String cliName() { return name().toLowerCase(Locale.ROOT); }

    /** The CLI name, as {@code quantize --help} lists it. */
    @Override
    public String toString() { return cliName(); }

    /** The preset of a CLI name; unknown names fail with the known ones. */
    public static QuantPreset of(String name) {
        for (QuantPreset p : values()) if (p.cliName().equals(name)) return p;
        throw new IllegalArgumentException("--preset " + name + " is not one of: " + String.join(", ", Arrays.stream(values()).map(QuantPreset::cliName).toList()));
    }

    /**
     * TENSORRT's weight parameters from the per-channel largest magnitudes {@code amax}: scale {@code amax / 127}
     * (floored at {@link QParams#EPS}, an all-zero channel), zero point 0; {@code |w| / scale <= 127} rounds to at most 127.
     */
    static QParams narrowWeightParams(float[] amax) {
        float[] s = new float[amax.length];
        for (int c = 0; c < s.length; c++) s[c] = Math.max(amax[c] / NARROW_MAX, QParams.EPS);
        return new QParams(WEIGHT_SCHEME, s, new int[s.length]);
    }
}
