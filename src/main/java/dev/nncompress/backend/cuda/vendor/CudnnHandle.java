package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.backend.cuda.kernels.Dnn;

import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;

import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NCHW;
import static org.bytedeco.cuda.global.cudnn.cudnnCreate;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnGetErrorString;
import static org.bytedeco.cuda.global.cudnn.cudnnGetVersion;
import static org.bytedeco.cuda.global.cudnn.cudnnSetStream;
import static org.bytedeco.cuda.global.cudnn.cudnnSetTensor4dDescriptor;

/**
 * The process's cuDNN 9 handle through bytedeco's preset, bound to our driver's stream (so cuDNN's
 * work is ordered with our kernels) in the primary context. Made once by {@link VendorStack}; every
 * backend's cuDNN parts ({@link #open}) share it. Never destroyed: it lives as long as the CUDA context
 * does. Also the parts' common pieces: the host scalars 1 and 0 and float NCHW tensor descriptors.
 */
public final class CudnnHandle implements DnnLibrary {
    public static final String PRESET = "org.bytedeco.cuda.global.cudnn";

    public final cudnnContext handle = new cudnnContext();
    public final CudaDriver driver;
    public final String name;
    /** alpha = 1, beta = 0 (overwrite) for float data: host scalars, read when a call is issued. */
    public final FloatPointer one = new FloatPointer(new float[] {1f}), zero = new FloatPointer(new float[] {0f});

    /** The preset must have loaded ({@link BytedecoCuda#load}). */
    public CudnnHandle(CudaDriver driver) {
        this.driver = driver;
        driver.makeCurrent();
        check("cudnnCreate", cudnnCreate(handle));
        check("cudnnSetStream", cudnnSetStream(handle, BytedecoCuda.stream(driver)));
        long v = cudnnGetVersion(); // 91900 -> 9.19.0 (major * 10000 + minor * 100 + patch since cuDNN 9)
        this.name = "cuDNN " + v / 10000 + "." + (v / 100) % 100 + "." + v % 100;
    }

    @Override public String name() { return name; }

    /** cuDNN for every family, each part on {@code own}'s matching part where cuDNN cannot match the contract. */
    @Override public Dnn open(DeviceMemoryPool memory, Dnn own) {
        CudaOps ops = new CudaOps(driver);
        return new Dnn(name, new CudnnConv(this, memory, own.conv()), new CudnnPooling(this, memory, own.pooling()),
                new CudnnActivation(this, own.activation()), new CudnnBatchNorm(this, ops, own.batchNorm()),
                new CudnnSoftmax(this, ops, own.softmax()));
    }

    /**
     * A float NCHW tensor descriptor; the parts set its sizes per call ({@link #shape}), which is safe
     * because cuDNN reads a descriptor when a call is issued, not when its kernels run.
     */
    public cudnnTensorStruct tensor() {
        driver.makeCurrent();
        cudnnTensorStruct t = new cudnnTensorStruct();
        check("cudnnCreateTensorDescriptor", cudnnCreateTensorDescriptor(t));
        return t;
    }

    public static void shape(cudnnTensorStruct t, int n, int c, int h, int w) {
        check("cudnnSetTensor4dDescriptor", cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));
    }

    /**
     * Why tensors of these element counts run on our kernels, or null: cuDNN's legacy API counts in int,
     * and rejects empty tensors, for which ours launch nothing.
     */
    public static String sizeReason(long... elements) {
        for (long e : elements) {
            if (e == 0) return "empty tensor";
            if (e > Integer.MAX_VALUE) return "sizes beyond cuDNN's int range";
        }
        return null;
    }

    public static void check(String call, int status) {
        if (status != CUDNN_STATUS_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + cudnnGetErrorString(status).getString() + " (" + status + ")");
        }
    }
}
