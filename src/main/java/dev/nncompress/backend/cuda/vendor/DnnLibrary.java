package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.Dnn;

/**
 * A DNN library opened once per process ({@link CudnnHandle}: cuDNN 9 through bytedeco;
 * {@code JcudnnHandle}: cuDNN 8 through JCudnn, in {@code -Pjcuda11} builds only), which makes one
 * {@link Dnn} per backend because workspaces come from that backend's pool.
 */
public interface DnnLibrary {
    /** "cuDNN 9.19.0" or "cuDNN 8.9.7 (JCudnn 11.7.0)". */
    public String name();

    /**
     * A {@link Dnn} whose parts use this library where it has them, each falling back to the matching
     * part of {@code own} (our kernels) for the cases it cannot do; parts the library lacks are own's.
     */
    public Dnn open(DeviceMemoryPool memory, Dnn own);
}
