package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.Dnn;

import jcuda.JCudaVersion;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnHandle;
import jcuda.runtime.cudaStream_t;

import static jcuda.jcudnn.cudnnStatus.CUDNN_STATUS_SUCCESS;

/**
 * The process's cuDNN 8 handle through JCudnn 11.7.0 (compiled only by {@code -Pjcuda11}, which puts
 * the whole JCuda family at 11.7.0: JCudnn's newest release links {@code libcudnn.so.8} and will not
 * load beside JCuda 12.6). For CUDA 11 / cuDNN 8 workstations; {@link VendorStack} tries it after
 * bytedeco's cuDNN 9, reaching it by name through {@link JcudnnRoute}. Bound to our driver's stream in
 * the primary context, as {@link CudnnHandle}; never destroyed.
 */
public final class JcudnnHandle implements DnnLibrary {
    public final cudnnHandle handle = new cudnnHandle();
    public final CudaDriver driver;
    private final String name;

    /** Null when JCudnn's JNI library (and so libcudnn.so.8) loads, else why not; called by {@link JcudnnRoute}. */
    public static String loadFailure() { return JcudaLibraries.loadFailure("JCudnn", () -> JCudnn.setExceptionsEnabled(false)); }

    /** Called by {@link JcudnnRoute#open}; {@link #loadFailure()} must have said null. */
    JcudnnHandle(CudaDriver driver) {
        this.driver = driver;
        driver.makeCurrent();
        check("cudnnCreate", JCudnn.cudnnCreate(handle));
        check("cudnnSetStream", JCudnn.cudnnSetStream(handle, new cudaStream_t(driver.stream())));
        this.name = "cuDNN " + version(JCudnn.cudnnGetVersion()) + " (JCudnn " + JCudaVersion.get() + ")";
    }

    /** 8907 -> 8.9.7 (cuDNN 8: major * 1000 + minor * 100 + patch); 90100 -> 9.1.0 (cuDNN 9: major * 10000 + ...). */
    public static String version(long v) {
        return v >= 90000 ? v / 10000 + "." + (v / 100) % 100 + "." + v % 100 : v / 1000 + "." + (v / 100) % 10 + "." + v % 100;
    }

    @Override public String name() { return name; }

    /**
     * cuDNN 8 for convolution only; pooling, ReLU, batch norm and softmax stay on our kernels (the
     * cuDNN 8 route is for CUDA 11 workstations; its legacy calls for those families would mirror
     * {@link CudnnPooling} and the others on JCuda's types, which no lent machine could test).
     */
    @Override public Dnn open(DeviceMemoryPool memory, Dnn own) {
        return new Dnn(name + " (conv; own pooling, ReLU, batch norm, softmax)", new JcudnnConv(this, memory, own.conv()),
                own.pooling(), own.activation(), own.batchNorm(), own.softmax());
    }

    public static void check(String call, int status) {
        if (status != CUDNN_STATUS_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + JCudnn.cudnnGetErrorString(status) + " (" + status + ")");
        }
    }
}
