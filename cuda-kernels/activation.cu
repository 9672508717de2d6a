// Elementwise activations of the CUDA backend, forward and backward, one kernel each switching on the
// kind (uniform over the launch, so no divergence): clip (ReLU6), leaky ReLU, sigmoid, hard sigmoid,
// hard swish, tanh with their parameters a, b.
// CPU twin: dev.nncompress.backend.ref.RefActivations (ReferenceBackend.unary / unaryBackward), step by
// step: Java's Math.min/max semantics (NaN wins, -0 < +0), float multiply-adds with explicit rounding
// (__fmul_rn/__fadd_rn: nvcc would fuse them, Java does not), sigmoid and tanh in double rounded once.
// Where a double product of two floats is exact (g y, y y, 2a x) a fused multiply-add gives the same
// bits, so those are left plain. Bit-exact with the twin except that exp/tanh in double may differ from
// Java's in the last double bit (compared with a 1e-6 tolerance).
// Kind numbers: dev.nncompress.backend.Unary.code() (UnaryCodesTest compares them with these).
#ifndef NNC_ACTIVATION_CU
#define NNC_ACTIVATION_CU

#define NNC_ACT_CLIP 0
#define NNC_ACT_LEAKY_RELU 1
#define NNC_ACT_SIGMOID 2
#define NNC_ACT_HARD_SIGMOID 3
#define NNC_ACT_HARD_SWISH 4
#define NNC_ACT_TANH 5

namespace nnc_activation {
__device__ __forceinline__ long long first_index() { return blockIdx.x * (long long) blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long grid_stride() { return (long long) gridDim.x * blockDim.x; }

// java.lang.Math.max / min for floats: a NaN argument is the result, and -0 < +0.
__device__ __forceinline__ bool neg_zero(float v) { return v == 0.f && copysignf(1.f, v) < 0.f; }
__device__ __forceinline__ float jmax(float a, float b) {
    if (a != a) return a;
    if (a == 0.f && b == 0.f && neg_zero(a)) return b;
    return a >= b ? a : b;
}
__device__ __forceinline__ float jmin(float a, float b) {
    if (a != a) return a;
    if (a == 0.f && b == 0.f && neg_zero(b)) return b;
    return a <= b ? a : b;
}
__device__ __forceinline__ float ramp(float x, float a, float b) { return __fadd_rn(__fmul_rn(a, x), b); }  // a x + b, two roundings

__device__ __forceinline__ float forward(int kind, float x, float a, float b) {
    switch (kind) {
        case NNC_ACT_CLIP: return jmin(jmax(x, a), b);
        case NNC_ACT_LEAKY_RELU: return x > 0.f ? x : __fmul_rn(x, a);
        case NNC_ACT_SIGMOID: return (float) (1.0 / (1.0 + exp(-(double) x)));
        case NNC_ACT_HARD_SIGMOID: return jmin(jmax(ramp(x, a, b), 0.f), 1.f);
        case NNC_ACT_HARD_SWISH: return __fmul_rn(x, jmin(jmax(ramp(x, a, b), 0.f), 1.f));
        default: return (float) tanh((double) x);  // NNC_ACT_TANH
    }
}

// dL/dx from x (y for sigmoid and tanh) and g; gradients at the kinks as PyTorch's (see Unary).
__device__ __forceinline__ float backward(int kind, float x, float y, float g, float a, float b) {
    switch (kind) {
        case NNC_ACT_CLIP: return x > a && x < b ? g : 0.f;
        case NNC_ACT_LEAKY_RELU: return x > 0.f ? g : __fmul_rn(g, a);
        case NNC_ACT_SIGMOID: return (float) ((double) g * y * (1.0 - y));
        case NNC_ACT_HARD_SIGMOID: {
            float v = ramp(x, a, b);
            return v > 0.f && v < 1.f ? __fmul_rn(g, a) : 0.f;
        }
        case NNC_ACT_HARD_SWISH: {
            float v = ramp(x, a, b);
            if (v < 0.f) return 0.f;
            if (v > 1.f) return g;
            return (float) ((double) g * (2.0 * a * x + b));
        }
        default: return (float) ((double) g * (1.0 - (double) y * y));  // NNC_ACT_TANH
    }
}
}  // namespace nnc_activation

extern "C" __global__ void nnc_act_forward(int kind, const float* __restrict__ x, float* __restrict__ y, long long n, float a, float b) {
    for (long long i = nnc_activation::first_index(); i < n; i += nnc_activation::grid_stride()) y[i] = nnc_activation::forward(kind, x[i], a, b);
}

// x and y are the forward's input and output (each kind reads one of them; both must be valid pointers).
extern "C" __global__ void nnc_act_backward(int kind, const float* __restrict__ x, const float* __restrict__ y, const float* __restrict__ g,
                                            float* __restrict__ dx, long long n, float a, float b) {
    for (long long i = nnc_activation::first_index(); i < n; i += nnc_activation::grid_stride()) {
        dx[i] = nnc_activation::backward(kind, x[i], y[i], g[i], a, b);
    }
}
#endif  // NNC_ACTIVATION_CU
