// im2col / col2im for NCHW images, so that a convolution becomes a GEMM (conv = W[O, C*kH*kW] x
// col[C*kH*kW, OH*OW] per image). Column layout for a run of `images` images starting at `image0`:
//   col[b][k][p], b in [0, images), k = (c*kH + ky)*kW + kx, p = oy*OW + ox,
//   value = x[image0 + b, c, oy*sH - pH + ky*dH, ox*sW - pW + kx*dW], 0 inside the padding.
// col2im is its adjoint (sums every column entry back onto the input position it was read from), the
// input gradient of the conv given the column gradient. It gathers per input element (no atomics), so
// the result is deterministic.
// CPU twin: these are the data movement inside ReferenceBackend.conv2d / conv2dBackward (RefConv's
// inY/inX indexing); the Java tests compare the whole conv with the twin, the harness checks both
// kernels against CPU loops of the definition above.
#ifndef NNC_IM2COL_CU
#define NNC_IM2COL_CU

extern "C" __global__ void nnc_im2col(const float* __restrict__ x, float* __restrict__ col, int image0, int images,
                                      int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                                      int oh, int ow) {
    const long long p_count = (long long) oh * ow;
    const long long ckk = (long long) c * kh * kw;
    const long long n = images * ckk * p_count;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        long long p = i % p_count;
        long long k = (i / p_count) % ckk;
        long long b = i / (p_count * ckk);
        int ox = (int) (p % ow), oy = (int) (p / ow);
        int kx = (int) (k % kw), ky = (int) ((k / kw) % kh), ch = (int) (k / ((long long) kw * kh));
        int iy = oy * sh - ph + ky * dh, ix = ox * sw - pw + kx * dw;
        float v = 0.f;
        if (iy >= 0 && iy < h && ix >= 0 && ix < w) v = x[(((image0 + b) * c + ch) * h + iy) * (long long) w + ix];
        col[i] = v;
    }
}

// dx[image0 + b, ch, iy, ix] = sum over (ky, kx, oy, ox) with oy*sH - pH + ky*dH = iy and
// ox*sW - pW + kx*dW = ix of col[b][(ch*kH + ky)*kW + kx][oy*OW + ox]. Overwrites dx (no prior zero
// fill needed); float sum in (ky, kx) order.
extern "C" __global__ void nnc_col2im(const float* __restrict__ col, float* __restrict__ dx, int image0, int images,
                                      int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                                      int oh, int ow) {
    const long long p_count = (long long) oh * ow;
    const long long n = (long long) images * c * h * w;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int ix = (int) (i % w);
        int iy = (int) ((i / w) % h);
        int ch = (int) ((i / ((long long) w * h)) % c);
        long long b = i / ((long long) w * h * c);
        const float* cb = col + b * (long long) c * kh * kw * p_count;
        float s = 0.f;
        for (int ky = 0; ky < kh; ky++) {
            int ty = iy + ph - ky * dh;  // = oy * sH when this kernel row reads iy
            if (ty < 0 || ty % sh != 0) continue;
            int oy = ty / sh;
            if (oy >= oh) continue;
            for (int kx = 0; kx < kw; kx++) {
                int tx = ix + pw - kx * dw;
                if (tx < 0 || tx % sw != 0) continue;
                int ox = tx / sw;
                if (ox >= ow) continue;
                long long k = ((long long) ch * kh + ky) * kw + kx;
                s += cb[k * p_count + (long long) oy * ow + ox];
            }
        }
        dx[(((image0 + b) * c + ch) * h + iy) * (long long) w + ix] = s;
    }
}
#endif  // NNC_IM2COL_CU
