package dev.nncompress.backend.cuda.driver;

import jcuda.driver.CUdevice;

import java.util.ArrayList;
import java.util.List;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuInit;

/**
 * Every CUDA device the driver reports, for {@code nncompress info --devices}. Unlike {@link CudaDriver}
 * it opens no context and needs neither our fatbin nor a supported compute capability: it says what
 * is there, not what we can use.
 */
public final class CudaDevices {
    private CudaDevices() {}

    /**
     * What the driver reported: its version and devices, or (with no device listed) why there is none,
     * in one line. {@code driverVersion} is null when the driver did not load.
     */
    public record Listing(String driverVersion, List<CudaDriver.DeviceInfo> devices, String unavailableReason) {
        public Listing {
            devices = List.copyOf(devices);
        }
    }

    /** Asks the driver; never throws (a missing libcuda or a driver error becomes the reason). */
    public static Listing list() {
        String noDriver = DriverLibrary.loadFailure();
        if (noDriver != null) return new Listing(null, List.of(), noDriver);
        String driver = null;
        try {
            cuInit(0);
            driver = CudaDriver.driverVersion();
            int[] count = new int[1];
            cuDeviceGetCount(count);
            List<CudaDriver.DeviceInfo> devices = new ArrayList<>();
            for (int i = 0; i < count[0]; i++) {
                CUdevice device = new CUdevice();
                cuDeviceGet(device, i);
                devices.add(CudaDriver.DeviceInfo.of(device, i));
            }
            return new Listing(driver, devices, devices.isEmpty() ? "the NVIDIA driver loaded but reports no CUDA device" : null);
        } catch (Throwable t) { // UnsatisfiedLinkError without libcuda, CudaException from the driver
            return new Listing(driver, List.of(), CudaDriver.describe(t));
        }
    }
}
