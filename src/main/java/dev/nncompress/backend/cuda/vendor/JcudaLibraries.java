package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.DriverLibrary;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Loads a JCuda family JNI library (JCublas2, JCudnn) once per process and remembers why it failed,
 * as {@link DriverLibrary} does for the driver API: only the first use of the class sees the
 * UnsatisfiedLinkError that names the missing vendor library ("libcublas.so.12 not found"); every
 * later use gets "Could not initialize class" without the cause.
 */
public final class JcudaLibraries {
    private static final Map<String, Optional<String>> LOADED = new HashMap<>();

    private JcudaLibraries() {}

    /**
     * Null when {@code firstUse} (a call that runs the library class's static initialiser, such as
     * {@code JCublas2.setExceptionsEnabled(true)}) succeeded, else why not in one line. Needs no driver
     * (the JNI libraries link the CUDA runtime statically), so the reason is the vendor library's own.
     */
    public static synchronized String loadFailure(String library, Runnable firstUse) {
        return LOADED.computeIfAbsent(library, l -> {
            try {
                firstUse.run();
                return Optional.empty();
            } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError (the jar is not on the class path)
                return Optional.of(BytedecoCuda.describe(t));
            }
        }).orElse(null);
    }
}
