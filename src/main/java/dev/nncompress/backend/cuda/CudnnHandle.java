package dev.nncompress.backend.cuda;

import org.bytedeco.cuda.cudnn.cudnnContext;

import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.cudnnCreate;
import static org.bytedeco.cuda.global.cudnn.cudnnGetErrorString;
import static org.bytedeco.cuda.global.cudnn.cudnnGetVersion;
import static org.bytedeco.cuda.global.cudnn.cudnnSetStream;

/**
 * The process's cuDNN 9 handle through bytedeco's preset, bound to our driver's stream (so cuDNN's
 * work is ordered with our kernels) in the primary context. Made once by {@link VendorStack}; every
 * {@link CudnnConv} shares it. Never destroyed: it lives as long as the CUDA context does.
 */
final class CudnnHandle implements DnnLibrary {
    static final String PRESET = "org.bytedeco.cuda.global.cudnn";

    final cudnnContext handle = new cudnnContext();
    final CudaDriver driver;
    final String name;

    /** The preset must have loaded ({@link BytedecoCuda#load}). */
    CudnnHandle(CudaDriver driver) {
        this.driver = driver;
        driver.makeCurrent();
        check("cudnnCreate", cudnnCreate(handle));
        check("cudnnSetStream", cudnnSetStream(handle, BytedecoCuda.stream(driver)));
        long v = cudnnGetVersion(); // 91900 -> 9.19.0 (major * 10000 + minor * 100 + patch since cuDNN 9)
        this.name = "cuDNN " + v / 10000 + "." + (v / 100) % 100 + "." + v % 100;
    }

    @Override public String name() { return name; }

    @Override public Dnn conv(DeviceMemoryPool memory, Dnn fallback) { return new CudnnConv(this, memory, fallback); }

    static void check(String call, int status) {
        if (status != CUDNN_STATUS_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + cudnnGetErrorString(status).getString() + " (" + status + ")");
        }
    }
}
