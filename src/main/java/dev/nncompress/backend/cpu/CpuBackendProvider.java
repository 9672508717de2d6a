package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BackendProvider;

import java.util.Locale;

/**
 * ServiceLoader entry for the ND4J CPU backend. Availability is judged without loading native code
 * (that takes 0.4-2 s and can only fail by throwing): Linux on x86-64 and at least one ND4J native
 * build on the class path.
 */
public final class CpuBackendProvider implements BackendProvider {
    @Override public String name() { return "cpu"; }

    @Override public int rank() { return 50; }

    @Override public String unavailableReason() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return "the ND4J natives bundled are for linux-x86_64, this is " + os + "/" + arch;
        }
        try {
            Class.forName("org.nd4j.linalg.factory.Nd4j", false, CpuBackendProvider.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return "ND4J (nd4j-native) is not on the class path";
        }
        if (!NativeVariant.onClassPath("") && !NativeVariant.onClassPath("-onednn") && !NativeVariant.onClassPath("-onednn-avx512")) {
            return "no nd4j-native linux-x86_64 classifier jar on the class path";
        }
        return null;
    }

    @Override public Backend create() { return new CpuBackend(); }
}
