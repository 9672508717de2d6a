package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.ref.JavaInt8Kernels;

import java.util.Locale;

/**
 * Picks the int8 kernels at run time: {@code auto} takes the fastest that loads (our JNI kernels, by
 * the CPU's features), {@code java} forces the plain-Java twin; the choice comes with a one-line reason
 * that commands print.
 */
public final class Int8KernelChoice {
    /** The kernels and why they were chosen (e.g. "native not built: ..."). */
    public record Choice(Int8Kernels kernels, String reason) {
        public String line() { return "int8 kernels " + kernels.name() + " (" + reason + ")"; }
    }

    private Int8KernelChoice() {}

    /** {@code preference}: auto, native or java; {@code threads} >= 1. */
    public static Choice choose(String preference, int threads) {
        String p = preference.toLowerCase(Locale.ROOT);
        return switch (p) {
            case "java" -> new Choice(new JavaInt8Kernels(threads), "forced by --int8-kernels java");
            case "auto", "native" -> new Choice(new JavaInt8Kernels(threads), "native int8 kernels not built yet");
            default -> throw new IllegalArgumentException("int8 kernels must be auto, native or java, got '" + preference + "'");
        };
    }

    /** All CPU threads, as the float backend uses. */
    public static int defaultThreads() { return CpuPar.threads(); }
}
