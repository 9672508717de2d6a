package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.ref.ByteTensor;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * The int8 codes of a CUDA {@code QTensor}: an I8 {@link CudaTensor} (the device block, from the backend's pool)
 * under the tensor's logical shape, stored channels-last for rank 4 as {@code backend.QTensor} says (the device
 * twin of {@code backend.ref.ByteTensor}). {@link #toFloatArray} gives the codes in logical (NCHW) order, as every
 * backend's codes do: one download, transposed on the host. Closing closes the block's tensor.
 */
final class CudaCodes implements Tensor {
    private final CudaTensor storage;

    private CudaCodes(CudaTensor storage) { this.storage = storage; }

    /** Codes of {@code shape}, contents undefined until an op writes them all. */
    static CudaCodes allocate(CudaBackend backend, Shape shape) {
        backend.checkOpen();
        return new CudaCodes(CudaTensor.allocate(backend, shape, DType.I8));
    }

    /** Whether rank-4 storage is channels-last and differs from NCHW order (several channels and positions). */
    static boolean transposed(Shape s) { return ByteTensor.transposed(s); }

    /** The device block (storage order), for kernel arguments. */
    DeviceBuffer buffer() { return storage.buffer(); }

    @Override public Shape shape() { return storage.shape(); }

    @Override public DType dtype() { return DType.I8; }

    @Override public Backend owner() { return (Backend) storage.owner(); }

    @Override public float[] toFloatArray() { return ByteTensor.logicalOrder(storage.toFloatArray(), shape()); }

    @Override public void close() { storage.close(); }

    @Override public String toString() { return "CudaCodes" + shape(); }
}
