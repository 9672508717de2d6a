package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.driver.NativeAddress;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one place that touches bytedeco's CUDA presets' loader and pointer types: loading a preset's
 * JNI library (and through it cudart 13, cuBLAS 13 or cuDNN 9) with the failure as one line, and
 * wrapping our raw device addresses and stream as bytedeco pointers. A pointer made here does not own
 * its memory (no deallocator): the memory belongs to our {@link DeviceMemoryPool}, the stream to
 * {@link CudaDriver}.
 */
public final class BytedecoCuda {
    private BytedecoCuda() {}

    /** The CUDA runtime preset, which cuBLAS's and cuDNN's presets load first. */
    public static final String CUDART = "org.bytedeco.cuda.global.cudart";

    private static final Map<String, Optional<String>> LOADED = new HashMap<>();

    /**
     * Loads the preset whose {@code global} class is {@code presetGlobal} (e.g. {@code
     * org.bytedeco.cuda.global.cublas}), once per process; null when it loaded, else why not, in one
     * line. The runtime preset goes first and its failure is the answer for the others: a class whose
     * static initialiser failed once only says "Could not initialize class" later, without the cause.
     */
    public static synchronized String load(String presetGlobal) {
        if (!presetGlobal.equals(CUDART)) {
            String runtime = load(CUDART);
            if (runtime != null) return runtime;
        }
        return LOADED.computeIfAbsent(presetGlobal, p -> {
            try {
                Loader.load(Class.forName(p));
                return Optional.empty();
            } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError...
                return Optional.of(describe(t));
            }
        }).orElse(null);
    }

    /**
     * One line for a failed load: the first missing shared object the dynamic loader names anywhere in
     * the cause chain ("libcublas.so.13 not found"), else the innermost message's first line.
     */
    public static String describe(Throwable t) {
        Throwable last = t;
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            java.util.regex.Matcher missing = java.util.regex.Pattern
                    .compile("(lib[\\w.+-]+\\.so[\\w.]*): cannot open shared object file").matcher(m);
            if (missing.find()) return missing.group(1) + " not found";
            last = c;
        }
        String first = String.valueOf(last.getMessage()).lines().findFirst().orElse("").strip();
        return last.getClass().getSimpleName() + (first.isEmpty() ? "" : ": " + first);
    }

    /** Floats at a device address (for cuBLAS and cuDNN data arguments). */
    public static FloatPointer floats(long deviceAddress) { return new FloatPointer(at(deviceAddress)); }

    /** A device buffer's floats; null for null (an optional cuDNN argument). */
    public static FloatPointer floats(DeviceBuffer b) { return b == null ? null : floats(b.address()); }

    /**
     * Any device address (workspaces). Pointer's {@code address} field is protected, so an anonymous
     * subclass sets it; the parameter must not be called {@code address}, which the inherited field
     * would shadow inside the initialiser.
     */
    public static Pointer at(long deviceAddress) {
        return new Pointer() { { address = deviceAddress; } };
    }

    /** Our driver's stream as the runtime API's stream type (the same object: CUstream == cudaStream_t). */
    public static CUstream_st stream(CudaDriver driver) { return new CUstream_st(at(NativeAddress.of(driver.stream()))); }
}
