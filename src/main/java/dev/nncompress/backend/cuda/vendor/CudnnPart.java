package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.kernels.Dnn;

import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.cuda.global.cudnn.cudnnDestroyTensorDescriptor;

/**
 * What every cuDNN part beyond convolution holds: the process's handle, the part of ours it falls back
 * to ({@code F}: our kernels for the same family), and its tensor descriptors, destroyed on close
 * together with whatever other descriptor a part made ({@link #destroyOthers}).
 */
public abstract class CudnnPart<F> implements Dnn.Part {
    public final CudnnHandle cudnn;
    public final F fallback;
    private final List<cudnnTensorStruct> tensors = new ArrayList<>();

    CudnnPart(CudnnHandle cudnn, F fallback) {
        this.cudnn = cudnn;
        this.fallback = fallback;
    }

    /** A tensor descriptor this part owns. */
    public final cudnnTensorStruct tensor() {
        cudnnTensorStruct t = cudnn.tensor();
        tensors.add(t);
        return t;
    }

    /** Destroys the part's other descriptors (pooling, activation); the context is current. */
    public void destroyOthers() {}

    @Override public final void close() {
        cudnn.driver.makeCurrent();
        destroyOthers();
        tensors.forEach(t -> cudnnDestroyTensorDescriptor(t));
        tensors.clear();
    }
}
