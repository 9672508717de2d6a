package dev.nncompress.backend.cpu;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Environment for the native thread pools, set in this process (libc setenv through JNA, which ND4J
 * already brings) before libgomp and OpenBLAS load and read it. Values the user exported win.
 *
 * <p>OMP_WAIT_POLICY=PASSIVE: libnd4j and its oneDNN run on OpenMP, whose workers by default spin
 * after each parallel region. A training step alternates native ops with Java loops and OpenBLAS
 * calls, and on 2 cores the spinning workers took the cores those needed: measured 2.3x slower
 * student training (2350 against 5360 img/s) and 2-3x slower convolutions inside the step than
 * back to back. Passive workers sleep at once; waking them costs tens of microseconds per op.
 *
 * <p>OPENBLAS_THREAD_TIMEOUT=4 (2^4 cycles, the minimum): OpenBLAS's workers otherwise keep polling
 * with sched_yield for 2^28 cycles after each gemm, and took 40% of a core from the oneDNN workers
 * through the teacher's convolutions (measured 288 against 237 img/s teacher training; its convs
 * back at their stand-alone speed).
 */
final class ThreadTuning {
    static final String DISABLE_PROPERTY = "nncompress.cpu.keepEnvironment";

    private ThreadTuning() {}

    /** Returns a short note of what was set (or why not), for {@code describe()}. */
    static String apply() {
        if (Boolean.getBoolean(DISABLE_PROPERTY)) return "native thread environment left as is";
        Map<String, String> wanted = new LinkedHashMap<>();
        wanted.put("OMP_WAIT_POLICY", "PASSIVE");
        wanted.put("OPENBLAS_THREAD_TIMEOUT", "4");
        List<String> notes = new ArrayList<>();
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            String had = System.getenv(e.getKey());
            if (had != null) {
                notes.add(e.getKey() + "=" + had + " (from the environment)");
            } else if (setenv(e.getKey(), e.getValue())) {
                notes.add(e.getKey() + "=" + e.getValue());
            } else {
                notes.add(e.getKey() + " not set (no JNA; export " + e.getKey() + "=" + e.getValue() + " for ~2x faster small models)");
            }
        }
        return String.join(", ", notes);
    }

    /** The C library's setenv, reached through JNA; false when JNA or libc cannot be loaded. */
    private static boolean setenv(String name, String value) {
        try {
            LibC libc = com.sun.jna.Native.loadLibrary("c", LibC.class);
            return libc.setenv(name, value, 1) == 0;
        } catch (Throwable t) { // NoClassDefFoundError without JNA, UnsatisfiedLinkError without libc
            return false;
        }
    }

    /** JNA binding; public because JNA builds a proxy for it. */
    public interface LibC extends com.sun.jna.Library {
        int setenv(String name, String value, int overwrite);
    }
}
