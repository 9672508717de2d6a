package dev.nncompress.backend.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Process-wide ND4J set-up, done once before the first ND4J class loads: the native build
 * ({@link NativeVariant}), thread-pool behaviour ({@link ThreadTuning}), float defaults, no periodic
 * System.gc(). Everything that touches ND4J statics goes through here first.
 */
final class CpuRuntime {
    private static final NativeVariant.Choice VARIANT;
    private static final String THREAD_NOTE;
    private static final String DESCRIPTION;
    private static final boolean ONEDNN;

    static {
        VARIANT = NativeVariant.choose();
        THREAD_NOTE = ThreadTuning.apply();
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        // ND4J's periodic System.gc() (for off-heap arrays nobody closed) stalls training for tens of ms
        Nd4j.getMemoryManager().togglePeriodicGc(false);
        String build = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo();
        boolean hasOneDnn = build != null && build.contains("HAVE_ONEDNN");
        ONEDNN = hasOneDnn;
        if (hasOneDnn != VARIANT.oneDnn()) {
            System.err.println("nncompress: cpu backend asked for ND4J build " + VARIANT.label() + " but loaded one "
                    + (hasOneDnn ? "with" : "without") + " oneDNN (ND4J was initialised before the cpu backend)");
        }
        String blas = org.bytedeco.openblas.global.openblas_nolapack.class.getPackage().getImplementationVersion();
        DESCRIPTION = "ND4J 1.0.0-M2.1 native " + VARIANT.label() + " (" + VARIANT.reason() + "), oneDNN "
                + (hasOneDnn ? "on" : "off") + ", OpenBLAS " + (blas == null ? "(bytedeco)" : blas) + ", "
                + Nd4j.getEnvironment().maxThreads() + " native threads, " + CpuPar.threads() + " Java loop threads"
                + (THREAD_NOTE.isEmpty() ? "" : ", " + THREAD_NOTE);
    }

    private CpuRuntime() {}

    /** Forces the static set-up; cheap after the first call. */
    static void init() {}

    /** Whether the loaded native build has oneDNN (normally the chosen one, see the warning above). */
    static boolean oneDnn() { return ONEDNN; }

    static String describe() { return DESCRIPTION; }
}
