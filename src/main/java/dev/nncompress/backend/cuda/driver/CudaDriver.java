package dev.nncompress.backend.cuda.driver;

import dev.nncompress.backend.BackendUnavailableException;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuStreamCreate;

/**
 * The process's one CUDA device (ordinal 0, or {@code -Dnncompress.cuda.device=N}): JCuda's driver API
 * with exceptions on, the device's primary context, one stream, and our kernels loaded from the jar's
 * fatbin with {@code cuModuleLoadData}. Opened at most once per process; a failure is remembered as
 * a one-line reason ({@link #unavailableReason()}) and never thrown as a linkage error at a caller.
 *
 * <p>The primary context is the one the CUDA runtime (and so cuBLAS/cuDNN, PyTorch) would share; it is
 * made current on the calling thread by {@link #makeCurrent()}, which every entry point calls because
 * CUDA contexts are per thread. The stream is a blocking one, so the synchronous copies in
 * {@link DeviceBuffer} (legacy default stream) wait for kernels launched on it.
 */
public final class CudaDriver {
    /** Where scripts/build-cuda.sh puts the fatbin inside the jar. */
    public static final String FATBIN_RESOURCE = "/dev/nncompress/cuda/nncompress.fatbin";

    private static CudaDriver instance;
    private static String failure;
    private static boolean probed;

    private final CUdevice device;
    private final CUcontext context;
    private final CUmodule module;
    private final CUstream stream;
    private final DeviceInfo info;
    private final Map<String, Kernel> kernels = new ConcurrentHashMap<>();
    private final Map<String, List<KernelSignatures.ParamType>> signatures = KernelSignatures.load();

    private CudaDriver(CUdevice device, CUcontext context, CUmodule module, CUstream stream, DeviceInfo info) {
        this.device = device;
        this.context = context;
        this.module = module;
        this.stream = stream;
        this.info = info;
    }

    /** Null when a CUDA device with our kernels is usable here, else why not, in one line. */
    public static synchronized String unavailableReason() {
        if (!probed) {
            probed = true;
            try {
                instance = open();
            } catch (BackendUnavailableException e) {
                failure = e.getMessage();
            } catch (Throwable t) { // UnsatisfiedLinkError, CudaException, NoClassDefFoundError...
                failure = describe(t);
            }
        }
        return instance != null ? null : failure;
    }

    /** The opened driver; a BackendUnavailableException carrying the reason when there is none. */
    public static CudaDriver get() {
        String why = unavailableReason();
        if (why != null) throw new BackendUnavailableException("CUDA is unavailable: " + why);
        instance.makeCurrent();
        return instance;
    }

    private static CudaDriver open() throws IOException {
        byte[] fatbin = readFatbin();  // null: this build ran without nvcc
        String noDriver = DriverLibrary.loadFailure();
        if (noDriver != null) throw new BackendUnavailableException(noDriver);
        cuInit(0);
        int[] count = new int[1];
        cuDeviceGetCount(count);
        if (count[0] == 0) throw new BackendUnavailableException("the NVIDIA driver loaded but reports no CUDA device");
        int ordinal = Integer.getInteger("nncompress.cuda.device", 0);
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new BackendUnavailableException("nncompress.cuda.device=" + ordinal + " but there are " + count[0] + " devices");
        }
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        DeviceInfo info = DeviceInfo.of(device, ordinal);
        if (info.ccMajor() < 7 || (info.ccMajor() == 7 && info.ccMinor() < 5)) {
            throw new BackendUnavailableException(info.name() + " has compute capability " + info.computeCapability()
                    + "; our kernels need 7.5 or newer");
        }
        if (fatbin == null && info.emulated()) fatbin = CudaEmulation.MODULE_IMAGE; // the emulation needs no fatbin
        if (fatbin == null) {
            throw new BackendUnavailableException("our kernels' fatbin (" + FATBIN_RESOURCE.substring(1)
                    + ") is not on the class path: this build ran without nvcc");
        }
        CUcontext context = new CUcontext();
        cuDevicePrimaryCtxRetain(context, device);
        cuCtxSetCurrent(context);
        CUmodule module = new CUmodule();
        cuModuleLoadData(module, fatbin);
        CUstream stream = new CUstream();
        cuStreamCreate(stream, 0);
        return new CudaDriver(device, context, module, stream, info);
    }

    private static byte[] readFatbin() throws IOException {
        try (InputStream in = CudaDriver.class.getResourceAsStream(FATBIN_RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    /**
     * One line for a native failure: a missing libcuda names the driver, anything else its message.
     * The cause chain is searched too, as a wrapped UnsatisfiedLinkError says the same.
     */
    public static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (String.valueOf(c.getMessage()).contains("libcuda")) return "no NVIDIA driver: libcuda.so.1 not found";
        }
        return t.getClass().getSimpleName() + ": " + String.valueOf(t.getMessage()).lines().findFirst().orElse("");
    }

    /** Makes the primary context current on this thread (cheap; contexts are per thread). */
    public void makeCurrent() { cuCtxSetCurrent(context); }

    /** The kernel {@code name} from our fatbin (an {@code extern "C"} function), looked up once. */
    public Kernel kernel(String name) {
        return kernels.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            cuModuleGetFunction(f, module, n);
            return new Kernel(n, f, this, signatures.get(n));
        });
    }

    /** Waits for all work on the device (stream and copies). */
    public void synchronize() {
        makeCurrent();
        cuCtxSynchronize();
    }

    public CUstream stream() { return stream; }

    public CUdevice device() { return device; }

    public DeviceInfo info() { return info; }

    /** Driver version as "13.0" from cuDriverGetVersion's 13000. */
    public static String driverVersion() {
        int[] v = new int[1];
        cuDriverGetVersion(v);
        return (v[0] / 1000) + "." + (v[0] % 1000) / 10;
    }

    /** What one CUDA device is. */
    public record DeviceInfo(int ordinal, String name, int ccMajor, int ccMinor, long totalMemoryBytes,
                             int multiprocessors, String driverVersion) {
        public String computeCapability() { return ccMajor + "." + ccMinor; }

        /** The CPU emulation's device (CudaEmulation), not a GPU. */
        public boolean emulated() { return CudaEmulation.isEmulated(name); }

        static DeviceInfo of(CUdevice device, int ordinal) {
            byte[] name = new byte[256];
            cuDeviceGetName(name, name.length, device);
            int len = 0;
            while (len < name.length && name[len] != 0) len++;
            long[] mem = new long[1];
            cuDeviceTotalMem(mem, device);
            return new DeviceInfo(ordinal, new String(name, 0, len, java.nio.charset.StandardCharsets.US_ASCII),
                    attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                    attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR), mem[0],
                    attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), CudaDriver.driverVersion());
        }

        private static int attribute(CUdevice device, int attribute) {
            int[] v = new int[1];
            cuDeviceGetAttribute(v, attribute, device);
            return v[0];
        }
    }
}
