// Shape ops on float tensors: the strided block copy behind Concat, which serves both directions
// (forward: each input into its column block of the output viewed as [outer, row]; backward: the
// output gradient's blocks back into each input's gradient), and the mean over consecutive dims of a
// tensor viewed as [outer, reduce, inner] with its backward.
// CPU twins (ReferenceBackend, RefShapes): copyBlock for nnc_shape_copy_block (exact copies);
// reduceMean / reduceMeanBackward for nnc_shape_mean / nnc_shape_mean_backward, bit for bit: the sum
// in double over r ascending, divided in double and rounded once to float, as the twin does.
#ifndef NNC_SHAPE_CU
#define NNC_SHAPE_CU

// dst[r * dst_stride + dst_offset + c] = src[r * src_stride + src_offset + c] for r < rows, c < cols.
extern "C" __global__ void nnc_shape_copy_block(const float* __restrict__ src, float* __restrict__ dst, long long rows,
                                                long long cols, long long src_stride, long long src_offset,
                                                long long dst_stride, long long dst_offset) {
    long long n = rows * cols;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        long long r = i / cols, c = i - r * cols;
        dst[r * dst_stride + dst_offset + c] = src[r * src_stride + src_offset + c];
    }
}

// y[o, i] = (sum over r of x[o, r, i]) / reduce, one thread per output.
extern "C" __global__ void nnc_shape_mean(const float* __restrict__ x, float* __restrict__ y, long long outer,
                                          long long reduce, long long inner) {
    long long n = outer * inner;
    for (long long k = blockIdx.x * (long long) blockDim.x + threadIdx.x; k < n; k += (long long) gridDim.x * blockDim.x) {
        long long o = k / inner, i = k - o * inner;
        const float* p = x + o * reduce * inner + i;
        double s = 0.0;
        for (long long r = 0; r < reduce; r++) s += (double) p[r * inner];
        y[k] = (float) (s / (double) reduce);
    }
}

// dx[o, r, i] = gy[o, i] / reduce, one thread per input position.
extern "C" __global__ void nnc_shape_mean_backward(const float* __restrict__ gy, float* __restrict__ dx, long long outer,
                                                   long long reduce, long long inner) {
    long long n = outer * reduce * inner;
    for (long long k = blockIdx.x * (long long) blockDim.x + threadIdx.x; k < n; k += (long long) gridDim.x * blockDim.x) {
        long long i = k % inner, o = k / (reduce * inner);
        dx[k] = (float) ((double) gy[o * inner + i] / (double) reduce);
    }
}
#endif  // NNC_SHAPE_CU
