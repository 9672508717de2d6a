package dev.nncompress.backend.cpu;

import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.cpu.NativeInt8Kernels.Variant;
import dev.nncompress.backend.ref.JavaInt8Kernels;

import java.util.List;
import java.util.Locale;

/**
 * Picks the int8 kernels at run time: {@code auto} takes the fastest that loads (our JNI kernels, by
 * the CPU's features), {@code native} insists on them, {@code java} forces the plain-Java twin; the
 * choice comes with a one-line reason that commands print. {@code -Dnncompress.int8.variant=avx512vnni|avx2|scalar}
 * caps the native variant (tests and benchmarks of the slower ones).
 */
public final class Int8KernelChoice {
    public static final String VARIANT_PROPERTY = "nncompress.int8.variant";

    /** The kernels and why they were chosen (e.g. "native not built: ..."). */
    public record Choice(Int8Kernels kernels, String reason) {
        public String line() { return "int8 kernels " + kernels.name() + " (" + reason + ")"; }
    }

    private Int8KernelChoice() {}

    /** {@code preference}: auto, native or java; {@code threads} >= 1. */
    public static Choice choose(String preference, int threads) {
        String p = preference.toLowerCase(Locale.ROOT);
        if (!p.equals("auto") && !p.equals("native") && !p.equals("java")) {
            throw new IllegalArgumentException("int8 kernels must be auto, native or java, got '" + preference + "'");
        }
        NativeLibrary.Status lib = p.equals("java") ? null : NativeLibrary.load();
        return choose(p, threads, lib, lib != null && lib.loaded() ? NativeInt8Kernels.cpuVariants() : List.of(),
                System.getProperty(VARIANT_PROPERTY));
    }

    /** The choice given the library's status, the variants the CPU runs and the variant property (null: unset). */
    static Choice choose(String preference, int threads, NativeLibrary.Status lib, List<Variant> cpu, String forced) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (preference.equals("java")) return new Choice(new JavaInt8Kernels(threads), "forced by --int8-kernels java");
        String failure = !lib.loaded() ? lib.reason() : cpu.isEmpty() ? "the library reports no variant for this CPU" : null;
        if (failure != null) {
            if (preference.equals("native")) throw new BackendUnavailableException("native int8 kernels unavailable: " + failure);
            return new Choice(new JavaInt8Kernels(threads), "native int8 kernels unavailable: " + failure);
        }
        VariantChoice v = variant(cpu, forced);
        return new Choice(NativeInt8Kernels.of(v.variant(), threads), v.reason());
    }

    record VariantChoice(Variant variant, String reason) {}

    /** The best variant in {@code cpu} (non-empty, slowest first), capped by {@code forced} (null: unset). */
    static VariantChoice variant(List<Variant> cpu, String forced) {
        Variant best = cpu.get(cpu.size() - 1);
        String why = switch (best) {
            case AVX512VNNI -> "the CPU has AVX-512 VNNI";
            case AVX2 -> "the CPU has AVX2 but not AVX-512 VNNI";
            case SCALAR -> "the CPU has neither AVX2 nor AVX-512 VNNI";
        };
        if (forced == null || forced.isBlank()) return new VariantChoice(best, why);
        Variant wanted = Variant.parse(forced.strip());
        if (cpu.contains(wanted)) return new VariantChoice(wanted, "forced by -D" + VARIANT_PROPERTY + "=" + wanted.label());
        return new VariantChoice(best, "-D" + VARIANT_PROPERTY + "=" + wanted.label() + " cannot run here; " + why);
    }

    /** All CPU threads, as the float backend uses. */
    public static int defaultThreads() { return CpuPar.threads(); }
}
