package dev.nncompress.backend.cuda.driver;

import jcuda.driver.JCudaDriver;

/**
 * Loads JCuda's driver JNI library (and through it libcuda.so.1) once per process and remembers why
 * it failed. Only the first use of {@link JCudaDriver} sees the UnsatisfiedLinkError that names the
 * missing libcuda; every later use gets "NoClassDefFoundError: Could not initialize class", whose
 * recorded cause the JVM truncates (a long LD_LIBRARY_PATH pushes "libcuda" out of it). So
 * {@link CudaDriver} and {@link CudaDevices} both ask here first.
 */
public final class DriverLibrary {
    private static boolean tried;
    private static String failure;

    private DriverLibrary() {}

    /** Null when the driver API is callable, else why not, in one line. */
    public static synchronized String loadFailure() {
        if (!tried) {
            tried = true;
            failure = CudaEmulation.preload(); // the emulated libcuda.so.1, when asked for, before JCuda links one
            if (failure != null) return failure;
            try {
                JCudaDriver.setExceptionsEnabled(true); // the first call runs JCudaDriver's static initialiser
            } catch (Throwable t) {
                failure = CudaDriver.describe(t);
            }
        }
        return failure;
    }
}
