// Standalone check of the depthwise convolution kernels of conv_grouped.cu (no Java): each kernel is
// validated against a CPU loop of its definition (forward and input gradient bit for bit, same fmaf
// order; weight gradient within 1e-6 of the largest value, double sums in another order), on odd
// shapes with channel multipliers, strides, dilations and asymmetric padding, then timed on
// MobileNetV2-sized layers (GB/s against the memory peak: a depthwise conv is memory-bound).
//   RESULT name=... shape=... check=<bit-exact|max_rel_err=..|FAIL> time_ms=.. rate=.. unit=GB/s peak_frac=..
// Exit code: 0 all checks pass, 1 any mismatch, 2 no CUDA device.
// Validation only, on the CPU (cuda-kernels/emu/cuda_emu.h; no timing, small shapes only):
//   g++ -std=c++20 -O1 -ffp-contract=off -pthread -DNNC_EMULATE -x c++ conv_grouped_harness.cu
#include "harness_common.h"
#include "../conv_grouped.cu"


// n, c, h, w, o (= c * multiplier), kernel, stride, pads top/left/bottom/right, dilation; oh/ow derived.
struct Dw {
    int n, c, h, w, o, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, oh, ow;
    std::string name() const {
        char b[128];
        std::snprintf(b, sizeof b, "N%d_C%d_M%d_%dx%d_k%dx%d_s%dx%d_p%d,%d,%d,%d_d%dx%d", n, c, o / c, h, w, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw);
        return b;
    }
};

static Dw make(int n, int c, int mult, int h, int w, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw) {
    Dw g{n, c, h, w, c * mult, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, 0, 0};
    g.oh = (h + pt + pb - (dh * (kh - 1) + 1)) / sh + 1;
    g.ow = (w + pl + pr - (dw * (kw - 1) + 1)) / sw + 1;
    return g;
}


// ---- CPU definitions (the kernels' loop orders) ----

static std::vector<float> cpu_forward(const Dw& g, const std::vector<float>& x, const std::vector<float>& w) {
    std::vector<float> y((size_t) g.n * g.o * g.oh * g.ow);
    int mult = g.o / g.c;
    for (int b = 0; b < g.n; b++)
        for (int oc = 0; oc < g.o; oc++)
            for (int oy = 0; oy < g.oh; oy++)
                for (int ox = 0; ox < g.ow; ox++) {
                    float acc = 0.f;
                    for (int ky = 0; ky < g.kh; ky++) {
                        int iy = oy * g.sh - g.pt + ky * g.dh;
                        if (iy < 0 || iy >= g.h) continue;
                        for (int kx = 0; kx < g.kw; kx++) {
                            int ix = ox * g.sw - g.pl + kx * g.dw;
                            if (ix < 0 || ix >= g.w) continue;
                            acc = std::fmaf(x[(((size_t) b * g.c + oc / mult) * g.h + iy) * g.w + ix], w[((size_t) oc * g.kh + ky) * g.kw + kx], acc);
                        }
                    }
                    y[(((size_t) b * g.o + oc) * g.oh + oy) * g.ow + ox] = acc;
                }
    return y;
}

static std::vector<float> cpu_input_grad(const Dw& g, const std::vector<float>& gy, const std::vector<float>& w) {
    std::vector<float> dx((size_t) g.n * g.c * g.h * g.w);
    int mult = g.o / g.c;
    for (int b = 0; b < g.n; b++)
        for (int ic = 0; ic < g.c; ic++)
            for (int iy = 0; iy < g.h; iy++)
                for (int ix = 0; ix < g.w; ix++) {
                    float acc = 0.f;
                    for (int m = 0; m < mult; m++) {
                        int oc = ic * mult + m;
                        for (int ky = 0; ky < g.kh; ky++)
                            for (int kx = 0; kx < g.kw; kx++) {
                                int ty = iy + g.pt - ky * g.dh, tx = ix + g.pl - kx * g.dw;
                                if (ty < 0 || tx < 0 || ty % g.sh || tx % g.sw || ty / g.sh >= g.oh || tx / g.sw >= g.ow) continue;
                                acc = std::fmaf(gy[(((size_t) b * g.o + oc) * g.oh + ty / g.sh) * g.ow + tx / g.sw],
                                                w[((size_t) oc * g.kh + ky) * g.kw + kx], acc);
                            }
                    }
                    dx[(((size_t) b * g.c + ic) * g.h + iy) * g.w + ix] = acc;
                }
    return dx;
}

static std::vector<float> cpu_weight_grad(const Dw& g, const std::vector<float>& x, const std::vector<float>& gy) {
    std::vector<double> dw((size_t) g.o * g.kh * g.kw, 0.0);
    int mult = g.o / g.c;
    for (int b = 0; b < g.n; b++)
        for (int oc = 0; oc < g.o; oc++)
            for (int oy = 0; oy < g.oh; oy++)
                for (int ox = 0; ox < g.ow; ox++)
                    for (int ky = 0; ky < g.kh; ky++)
                        for (int kx = 0; kx < g.kw; kx++) {
                            int iy = oy * g.sh - g.pt + ky * g.dh, ix = ox * g.sw - g.pl + kx * g.dw;
                            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                            dw[((size_t) oc * g.kh + ky) * g.kw + kx] += (double) gy[(((size_t) b * g.o + oc) * g.oh + oy) * g.ow + ox]
                                    * x[(((size_t) b * g.c + oc / mult) * g.h + iy) * g.w + ix];
                        }
    return std::vector<float>(dw.begin(), dw.end());
}

// ---- one shape: validate (small shapes) and/or time ----

static void run(const Dw& g, bool validate) {
    size_t nx = (size_t) g.n * g.c * g.h * g.w, ny = (size_t) g.n * g.o * g.oh * g.ow, nw = (size_t) g.o * g.kh * g.kw;
    std::vector<float> x = randn(nx, 1), w = randn(nw, 2), gy = randn(ny, 3);
    Dev d;
    float *dx = d.f(x), *dwt = d.f(w), *dgy = d.f(gy), *dy = d.f(std::vector<float>(ny)), *ddx = d.f(std::vector<float>(nx)),
          *ddw = d.f(std::vector<float>(nw));
    auto fwd = [&] { LAUNCH(nnc_conv_depthwise_fwd, grid1d((long long) ny), 256, dx, dwt, dy, g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.oh, g.ow,
                            g.sh, g.sw, g.pt, g.pl, g.dh, g.dw); };
    auto bin = [&] { LAUNCH(nnc_conv_depthwise_bwd_input, grid1d((long long) nx), 256, dgy, dwt, ddx, g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.oh,
                            g.ow, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw); };
    auto bwt = [&] { LAUNCH(nnc_conv_depthwise_bwd_weight, (unsigned) nw, 256, dx, dgy, ddw, g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.oh, g.ow,
                            g.sh, g.sw, g.pt, g.pl, g.dh, g.dw); };
    std::string cf = "-", ci = "-", cw = "-";
    if (validate) {
        fwd(); bin(); bwt();
        CHECK(cudaGetLastError());
        CHECK(cudaDeviceSynchronize());
        cf = compare(get(dy, ny), cpu_forward(g, x, w), 0);
        ci = compare(get(ddx, nx), cpu_input_grad(g, gy, w), 0);
        cw = compare(get(ddw, nw), cpu_weight_grad(g, x, gy), 1e-6);
    }
    result("conv_depthwise_fwd", g.name(), cf, median_ms(fwd), 4.0 * (nx + ny + nw));
    result("conv_depthwise_bwd_input", g.name(), ci, median_ms(bin), 4.0 * (nx + ny + nw));
    result("conv_depthwise_bwd_weight", g.name(), cw, median_ms(bwt), 4.0 * (nx + ny + nw));
}

int main() {
    if (!have_device()) return 2;
    cudaDeviceProp prop; CHECK(cudaGetDeviceProperties(&prop, 0));
    mem_peak_gbs = memory_peak_gbs();
    std::printf("conv_grouped harness on %s (CC %d.%d), memory peak %.0f GB/s\n", prop.name, prop.major, prop.minor, mem_peak_gbs);
    // odd shapes: multiplier 1 and 3, stride 2, dilation, asymmetric padding (ONNX SAME_UPPER-like), a
    // window as wide as the padded input
    run(make(2, 3, 1, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), true);
    run(make(2, 3, 3, 9, 7, 3, 2, 2, 1, 1, 0, 2, 1, 2, 1), true);
    run(make(1, 4, 2, 5, 8, 3, 3, 2, 2, 0, 1, 1, 0, 2, 3), true);
    run(make(3, 2, 1, 4, 4, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1), true);
#ifndef NNC_EMULATE
    run(make(4, 8, 1, 21, 19, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1), true);  // grid-stride loops with many blocks
    // MobileNetV2's depthwise layers at batch 64 (timing only)
    run(make(64, 96, 1, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), false);
    run(make(64, 32, 1, 112, 112, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), false);
    run(make(64, 144, 1, 56, 56, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1), false);
#endif
    std::printf("%s: %d check(s) failed\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
