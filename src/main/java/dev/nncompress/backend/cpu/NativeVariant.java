package dev.nncompress.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Picks which of the ND4J native builds on the class path to load, before the first ND4J class
 * does: "-onednn-avx512" needs AVX-512 (F/CD/BW/DQ/VL), "-onednn" needs AVX2+FMA+F16C, else the plain
 * x86-64 build (no oneDNN, 5-10x slower convolutions). Loading a build the CPU cannot run kills the
 * JVM with SIGILL, so the choice reads /proc/cpuinfo rather than trying.
 *
 * <p>Overrides: {@code -Dorg.bytedeco.javacpp.platform.extension=...} (JavaCPP's own switch) is
 * honoured as given; {@code -Dnncompress.cpu.variant=avx512|avx2|generic} caps the choice.
 */
final class NativeVariant {
    static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";
    static final String OVERRIDE_PROPERTY = "nncompress.cpu.variant";

    /** Where each build's JNI library sits inside its jar; absent when the classifier jar is missing. */
    private static final String BINDINGS = "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64%s/libjnind4jcpu.so";

    private static final List<String> AVX512 = List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");
    private static final List<String> AVX2 = List.of("avx2", "fma", "f16c");

    /** The chosen extension and the one-line reason, fixed once per process. */
    record Choice(String extension, String reason) {
        boolean oneDnn() { return extension.contains("onednn"); }

        String label() { return extension.isEmpty() ? "linux-x86_64 (generic, no oneDNN)" : "linux-x86_64" + extension; }
    }

    private static Choice chosen;

    private NativeVariant() {}

    /** Sets the JavaCPP extension property (once) and returns the choice; call before any ND4J class loads. */
    static synchronized Choice choose() {
        if (chosen != null) return chosen;
        String preset = System.getProperty(EXTENSION_PROPERTY);
        if (preset != null) {
            chosen = new Choice(preset, "set by -D" + EXTENSION_PROPERTY);
        } else {
            chosen = decide(cpuFlags(), System.getProperty(OVERRIDE_PROPERTY), NativeVariant::onClassPath);
            System.setProperty(EXTENSION_PROPERTY, chosen.extension());
        }
        return chosen;
    }

    /** Pure decision, separated for tests: flags from /proc/cpuinfo, an optional cap, jar availability. */
    static Choice decide(Set<String> flags, String cap, java.util.function.Predicate<String> available) {
        String c = cap == null ? "" : cap.trim().toLowerCase(Locale.ROOT);
        boolean allow512 = c.isEmpty() || c.equals("avx512");
        boolean allow2 = allow512 || c.equals("avx2");
        if (!c.isEmpty() && !c.equals("avx512") && !c.equals("avx2") && !c.equals("generic")) {
            throw new IllegalArgumentException("-D" + OVERRIDE_PROPERTY + " must be avx512, avx2 or generic, got '" + cap + "'");
        }
        String capNote = c.isEmpty() ? "" : " (capped by -D" + OVERRIDE_PROPERTY + "=" + c + ")";
        if (flags.isEmpty()) return new Choice("", "CPU flags unreadable, using the generic build" + capNote);
        if (allow512 && flags.containsAll(AVX512)) {
            if (available.test("-onednn-avx512")) return new Choice("-onednn-avx512", "CPU has AVX-512" + capNote);
        }
        if (allow2 && flags.containsAll(AVX2)) {
            if (available.test("-onednn")) return new Choice("-onednn", "CPU has AVX2+FMA" + (flags.containsAll(AVX512)
                    ? ", avx512 jar missing" : ", no AVX-512") + capNote);
        }
        return new Choice("", "no AVX2 build usable here" + capNote);
    }

    static boolean onClassPath(String extension) {
        ClassLoader cl = NativeVariant.class.getClassLoader();
        return cl != null && cl.getResource(String.format(BINDINGS, extension)) != null;
    }

    /** The "flags" line of the first processor in /proc/cpuinfo; empty when unreadable (not Linux). */
    static Set<String> cpuFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    int colon = line.indexOf(':');
                    return new HashSet<>(Arrays.asList(line.substring(colon + 1).trim().split("\\s+")));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux or no procfs: fall through to the generic build
        }
        return Set.of();
    }
}
