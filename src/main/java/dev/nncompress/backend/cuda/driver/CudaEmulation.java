package dev.nncompress.backend.cuda.driver;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The emulated CUDA driver: a {@code libcuda.so.1} built from our own kernel sources by
 * scripts/build-emu-driver.sh (target/emu-driver/), which runs every kernel launch on the CPU, so that
 * this package's Java path (context, module, memory, launches) runs where there is no GPU, CI included.
 * It proves logic (argument marshalling, grid sizes, copy sizes, call order), not speed or the real
 * driver's behaviour, and says so: its device is named {@value #DEVICE_NAME_PREFIX} (CPU), the backend
 * describes itself as "emulated" and {@code info --devices} marks it.
 *
 * <p>Used only when asked for: with {@code -D}{@value #DRIVER_PROPERTY}{@code =PATH} it is loaded before
 * JCuda's JNI library, whose dependency on libcuda.so.1 the dynamic linker then resolves to it (a loaded
 * library answers for its soname); {@code LD_LIBRARY_PATH=target/emu-driver} does the same for a whole
 * process. The real driver is never shadowed by default.
 */
public final class CudaEmulation {
    /** System property: the emulated libcuda.so.1 to load instead of the NVIDIA driver. */
    public static final String DRIVER_PROPERTY = "nncompress.cuda.emulatedDriver";

    /** How the emulated device's name starts (cuda-kernels/emu/driver/driver_state.h, DEVICE_NAME). */
    public static final String DEVICE_NAME_PREFIX = "nncompress emulated device";

    /** What cuModuleLoadData gets under emulation when the build had no nvcc, so no fatbin (module.cpp). */
    public static final byte[] MODULE_IMAGE = "nncompress emulated module\0".getBytes(StandardCharsets.US_ASCII);

    private CudaEmulation() {}

    /**
     * Loads the library {@value #DRIVER_PROPERTY} names, if it names one; call before JCuda's first use.
     * Null when nothing was asked for or it loaded, else why not, in one line.
     */
    public static String preload() {
        String path = System.getProperty(DRIVER_PROPERTY);
        if (path == null || path.isBlank()) return null;
        Path file = Path.of(path).toAbsolutePath();
        if (!Files.isRegularFile(file)) {
            return DRIVER_PROPERTY + "=" + path + ": no such file (scripts/build-emu-driver.sh builds it where g++ is present)";
        }
        try {
            System.load(file.toString());
            return null;
        } catch (UnsatisfiedLinkError e) {
            return DRIVER_PROPERTY + "=" + path + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("does not load");
        }
    }

    /** Whether a device of this name is the emulated one. */
    public static boolean isEmulated(String deviceName) { return deviceName.startsWith(DEVICE_NAME_PREFIX); }
}
