// Max and average 2-D pooling over NCHW planes, forward and backward.
// CPU twin: ReferenceBackend.maxPool2d / maxPool2dBackward / avgPool2d / avgPool2dBackward (RefPool),
// with its exact window semantics: windows scanned row by row (ky outer, kx inner), padding skipped
// (never the max; in an average's divisor only with count_include_pad, then the window clipped to the
// padded input [-ph, h + pb) x [-pw, w + pr), PyTorch's); the max is the first maximum in scan order on ties,
// a NaN wins and propagates, and max backward sends each output's gradient to that one position.
// Backward kernels gather per input element (loop over the windows that contain it) instead of
// scattering with atomics, so results are deterministic and need no zero fill.
// Geometry: planes = N*C, window kH x kW, stride sH x sW, padding pH (top) x pW (left), output OH x OW,
// given by the caller (Pool2dSpec): ceil mode and the end padding pB (bottom), pR (right) only change
// OH, OW and the count_include_pad divisor, since every window starts inside the input or the start padding.
#ifndef NNC_POOL_CU
#define NNC_POOL_CU

namespace nnc_pool {
// Index inside the plane of the window's maximum at (oy, ox), -1 if the window holds no input.
__device__ __forceinline__ int arg_max(const float* plane, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
                                       int oy, int ox) {
    int best = -1;
    float best_value = 0.f;
    int y0 = oy * sh - ph, x0 = ox * sw - pw;
    for (int ky = 0; ky < kh; ky++) {
        int iy = y0 + ky;
        if (iy < 0 || iy >= h) continue;
        for (int kx = 0; kx < kw; kx++) {
            int ix = x0 + kx;
            if (ix < 0 || ix >= w) continue;
            float v = plane[iy * w + ix];
            if (best < 0 || v > best_value || (v != v && best_value == best_value)) {
                best = iy * w + ix;
                best_value = v;
            }
        }
    }
    return best;
}

// What the average of window (oy, ox) divides by: its input positions, or with include_pad the window
// clipped to the padded input (PoolGeometry.divisor).
__device__ __forceinline__ int divisor(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int pb, int pr, int include_pad,
                                       int oy, int ox) {
    int y0 = oy * sh - ph, x0 = ox * sw - pw;
    int rows = include_pad ? min(y0 + kh, h + pb) - y0 : min(y0 + kh, h) - max(y0, 0);
    int cols = include_pad ? min(x0 + kw, w + pr) - x0 : min(x0 + kw, w) - max(x0, 0);
    return max(rows, 0) * max(cols, 0);
}

// The output rows (or columns) whose windows contain input row iy: oy with oy*s - p <= iy < oy*s - p + k.
__device__ __forceinline__ void covering(int i, int k, int s, int p, int out, int& first, int& last) {
    int t = i + p - k + 1;  // smallest oy*s allowed
    first = t <= 0 ? 0 : (t + s - 1) / s;
    last = min((i + p) / s, out - 1);
}
}  // namespace nnc_pool

extern "C" __global__ void nnc_pool_max_forward(const float* __restrict__ x, float* __restrict__ y, int planes, int h, int w,
                                                int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow) {
    long long n = (long long) planes * oh * ow;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int ox = (int) (i % ow), oy = (int) ((i / ow) % oh);
        long long p = i / ((long long) oh * ow);
        const float* plane = x + p * h * w;
        int idx = nnc_pool::arg_max(plane, h, w, kh, kw, sh, sw, ph, pw, oy, ox);
        y[i] = idx < 0 ? -INFINITY : plane[idx];
    }
}

// dx[p, iy, ix] = sum of gy over the windows whose first maximum is (iy, ix), float sum in (oy, ox) order.
extern "C" __global__ void nnc_pool_max_backward(const float* __restrict__ x, const float* __restrict__ gy,
                                                 float* __restrict__ dx, int planes, int h, int w, int kh, int kw, int sh,
                                                 int sw, int ph, int pw, int oh, int ow) {
    long long n = (long long) planes * h * w;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int ix = (int) (i % w), iy = (int) ((i / w) % h);
        long long p = i / ((long long) h * w);
        const float* plane = x + p * h * w;
        const float* g = gy + p * oh * ow;
        int oy0, oy1, ox0, ox1;
        nnc_pool::covering(iy, kh, sh, ph, oh, oy0, oy1);
        nnc_pool::covering(ix, kw, sw, pw, ow, ox0, ox1);
        float s = 0.f;
        for (int oy = oy0; oy <= oy1; oy++) {
            for (int ox = ox0; ox <= ox1; ox++) {
                if (nnc_pool::arg_max(plane, h, w, kh, kw, sh, sw, ph, pw, oy, ox) == iy * w + ix) s += g[oy * ow + ox];
            }
        }
        dx[i] = s;
    }
}

extern "C" __global__ void nnc_pool_avg_forward(const float* __restrict__ x, float* __restrict__ y, int planes, int h, int w,
                                                int kh, int kw, int sh, int sw, int ph, int pw, int pb, int pr, int include_pad,
                                                int oh, int ow) {
    long long n = (long long) planes * oh * ow;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int ox = (int) (i % ow), oy = (int) ((i / ow) % oh);
        long long p = i / ((long long) oh * ow);
        const float* plane = x + p * h * w;
        int y0 = oy * sh - ph, x0 = ox * sw - pw;
        float s = 0.f;
        for (int iy = max(y0, 0); iy < min(y0 + kh, h); iy++) {
            for (int ix = max(x0, 0); ix < min(x0 + kw, w); ix++) s += plane[iy * w + ix];
        }
        int c = nnc_pool::divisor(h, w, kh, kw, sh, sw, ph, pw, pb, pr, include_pad, oy, ox);
        y[i] = c == 0 ? 0.f : s / (float) c;
    }
}

// dx[p, iy, ix] = sum over the windows containing (iy, ix) of gy / (that window's divisor).
extern "C" __global__ void nnc_pool_avg_backward(const float* __restrict__ gy, float* __restrict__ dx, int planes, int h,
                                                 int w, int kh, int kw, int sh, int sw, int ph, int pw, int pb, int pr,
                                                 int include_pad, int oh, int ow) {
    long long n = (long long) planes * h * w;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int ix = (int) (i % w), iy = (int) ((i / w) % h);
        long long p = i / ((long long) h * w);
        const float* g = gy + p * oh * ow;
        int oy0, oy1, ox0, ox1;
        nnc_pool::covering(iy, kh, sh, ph, oh, oy0, oy1);
        nnc_pool::covering(ix, kw, sw, pw, ow, ox0, ox1);
        float s = 0.f;
        for (int oy = oy0; oy <= oy1; oy++) {
            for (int ox = ox0; ox <= ox1; ox++) {
                int c = nnc_pool::divisor(h, w, kh, kw, sh, sw, ph, pw, pb, pr, include_pad, oy, ox);
                if (c > 0) s += g[oy * ow + ox] / (float) c;
            }
        }
        dx[i] = s;
    }
}
#endif  // NNC_POOL_CU
