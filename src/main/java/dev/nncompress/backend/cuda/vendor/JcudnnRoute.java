package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.CudaDriver;

import java.lang.reflect.InvocationTargetException;

/**
 * The bridge to {@code JcudnnHandle} (cuDNN 8 through JCudnn 11.7.0), which only {@code -Pjcuda11}
 * builds compile (src/jcuda11/java): JCudnn's newest release needs cuDNN 8 and the JCuda 11.7 family,
 * which cannot share a class path with the default JCuda 12.6. Reached by name, so the default build
 * compiles without it and says so as the reason.
 */
public final class JcudnnRoute {
    public static final String CLASS = "dev.nncompress.backend.cuda.vendor.JcudnnHandle";
    public static final String NOT_BUILT = "not in this build (mvn -Pjcuda11 compiles it)";

    private JcudnnRoute() {}

    /** Null when this build has JCudnn and its JNI library (and so libcudnn.so.8) loads, else why not. */
    public static String loadFailure() {
        Class<?> c = type();
        if (c == null) return NOT_BUILT;
        try {
            return (String) c.getDeclaredMethod("loadFailure").invoke(null);
        } catch (InvocationTargetException e) {
            return BytedecoCuda.describe(e.getCause());
        } catch (ReflectiveOperationException e) {
            return BytedecoCuda.describe(e);
        }
    }

    /** Opens the process's JCudnn handle on {@code driver}'s stream; {@link #loadFailure()} must have said null. */
    public static DnnLibrary open(CudaDriver driver) throws Exception {
        try {
            return (DnnLibrary) type().getDeclaredConstructor(CudaDriver.class).newInstance(driver);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    private static Class<?> type() {
        try {
            return Class.forName(CLASS);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }
}
