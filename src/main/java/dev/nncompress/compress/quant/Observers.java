package dev.nncompress.compress.quant;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QScheme;

import java.util.List;
import java.util.Locale;

/** Observers by name (the future {@code --observer} option), and the standard weight observer. */
public final class Observers {
    /** Known names, in the order help texts list them. */
    public static final List<String> NAMES = List.of("minmax", "ema", "percentile", "mse", "kl");

    private Observers() {}

    public static Observer create(String name, QScheme scheme) { return create(name, scheme, ObserverOptions.DEFAULTS); }

    public static Observer create(String name, QScheme scheme, ObserverOptions o) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (key) {
            case "minmax" -> new MinMaxObserver(scheme);
            case "ema" -> new MovingAverageMinMaxObserver(scheme, o.averagingConstant());
            case "percentile" -> new PercentileObserver(scheme, o.percentile(), o.bins());
            case "mse" -> new MseObserver(scheme, o.bins(), o.mseGridPerSide());
            case "kl" -> new KlDivergenceObserver(scheme, o.bins());
            default -> throw new IllegalArgumentException("unknown observer '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }

    /** Weights: symmetric int8 min/max per output channel (axis 0 of [out, in] and OIHW), torch's default_per_channel_weight_observer. */
    public static Observer weightObserver() { return new MinMaxObserver(QScheme.perChannelSymmetric(QDType.INT8, 0)); }
}
