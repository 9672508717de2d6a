// Standalone check of int8_codes.cu (no Java): every kernel the CUDA backend's int8 ops run on device codes,
// each against a CPU loop of its definition (the twins: JavaInt8Kernels.quantizeToNhwc / im2col / maxPool /
// nhwcToNchw, QuantArithmetic, CodeOps.globalAvgPool / lookup / concat), bit for bit, then timed (median of 15
// launches). One RESULT line per kernel and shape; exit 0 all bit-exact, 1 any mismatch, 2 no CUDA device.
// Validation only, on the CPU (cuda-kernels/emu/cuda_emu.h; 1-D grids capped at 8 blocks, so the grid-stride
// loops run several rounds; times print "-"):
//   g++ -std=c++20 -O1 -pthread -DNNC_EMULATE -x c++ int8_codes_harness.cu
#include "harness_common.h"
#include "../int8_codes.cu"

#include <cstdint>

static std::vector<int8_t> random_codes(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> u(-128, 127);
    std::vector<int8_t> v(n);
    for (auto& q : v) q = (int8_t) u(rng);
    return v;
}

static int8_t* up(Dev& d, const std::vector<int8_t>& h) {
    int8_t* p = d.raw<int8_t>(h.size());
    if (!h.empty()) CHECK(cudaMemcpy(p, h.data(), h.size(), cudaMemcpyHostToDevice));
    return p;
}

static std::vector<int8_t> down(const int8_t* p, size_t n) {
    std::vector<int8_t> h(n);
    if (n) CHECK(cudaMemcpy(h.data(), p, n, cudaMemcpyDeviceToHost));
    return h;
}

static int cpu_quantize(float x, float s, int zp) {  // QuantArithmetic.quantizeS8, step by step
    float v = rintf(x / s) + (float) zp;
    return (int) fminf(127.f, fmaxf(-128.f, v));
}

// "bit-exact" or FAIL(n mismatches), counted in failures.
static std::string same(const std::vector<int8_t>& got, const std::vector<int8_t>& want) {
    long long bad = 0;
    for (size_t i = 0; i < want.size(); i++) bad += got[i] != want[i];
    if (got.size() != want.size() || bad) { failures++; return "FAIL(" + std::to_string(bad) + " codes)"; }
    return "bit-exact";
}

static std::string shape4(long long a, long long b, long long c, long long e) {
    return std::to_string(a) + "x" + std::to_string(b) + "x" + std::to_string(c) + "x" + std::to_string(e);
}

// Quantise NCHW floats to NHWC codes and back to NCHW floats (with NaN, +-inf and ties).
static void check_quantize(int n, int c, int hw, float scale, int zp) {
    Dev d;
    size_t total = (size_t) n * c * hw;
    std::vector<float> x = randn(total, 3);
    for (size_t i = 0; i < total; i++) x[i] *= 40 * scale;
    if (total > 4) { x[0] = NAN; x[1] = INFINITY; x[2] = -INFINITY; x[3] = 2.5f * scale; x[4] = -0.5f * scale; }
    float* dx = d.f(x);
    int8_t* dq = d.raw<int8_t>(total);
    float* dback = d.zeros(total);
    std::vector<int8_t> want(total);
    std::vector<float> back(total);
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < hw; p++) want[((size_t) b * hw + p) * c + ch] = (int8_t) cpu_quantize(x[((size_t) b * c + ch) * hw + p], scale, zp);
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < hw; p++) back[((size_t) b * c + ch) * hw + p] = (float) ((int) want[((size_t) b * hw + p) * c + ch] - zp) * scale;
    auto q = [&] { LAUNCH(nnc_q8_quantize_nhwc, grid1d(total), 256, dx, dq, (long long) n, c, (long long) hw, scale, zp); };
    auto dq8 = [&] { LAUNCH(nnc_q8_dequantize_nchw, grid1d(total), 256, dq, dback, (long long) n, c, (long long) hw, scale, zp); };
    q();
    std::string cq = same(down(dq, total), want);
    dq8();
    std::string cd = compare(get(dback, total), back, 0);
    result("nnc_q8_quantize_nhwc", shape4(n, c, hw, 1), cq, median_ms(q), 5.0 * total);
    result("nnc_q8_dequantize_nchw", shape4(n, c, hw, 1), cd, median_ms(dq8), 5.0 * total);
}

// [n, a, b] to [n, b, a], codes and floats.
static void check_transpose(int n, int a, int b) {
    Dev d;
    size_t total = (size_t) n * a * b;
    std::vector<int8_t> x = random_codes(total, 5);
    std::vector<float> xf = randn(total, 6);
    int8_t* dx = up(d, x);
    int8_t* dy = d.raw<int8_t>(total);
    float* dxf = d.f(xf);
    float* dyf = d.zeros(total);
    std::vector<int8_t> want(total);
    std::vector<float> wantf(total);
    for (int img = 0; img < n; img++)
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++) {
                want[((size_t) img * b + j) * a + i] = x[((size_t) img * a + i) * b + j];
                wantf[((size_t) img * b + j) * a + i] = xf[((size_t) img * a + i) * b + j];
            }
    auto t8 = [&] { LAUNCH(nnc_q8_transpose, grid1d(total), 256, dx, dy, (long long) n, a, b); };
    auto t32 = [&] { LAUNCH(nnc_q8_transpose_f32, grid1d(total), 256, dxf, dyf, (long long) n, a, b); };
    t8();
    t32();
    result("nnc_q8_transpose", shape4(n, a, b, 1), same(down(dy, total), want), median_ms(t8), 2.0 * total);
    result("nnc_q8_transpose_f32", shape4(n, a, b, 1), compare(get(dyf, total), wantf, 0), median_ms(t32), 8.0 * total);
}

// im2col of NHWC codes: rows (b, oy, ox), columns (ky, kx, ch), the pad code in the padding.
static void check_im2col(int n, int h, int w, int c, int k, int s, int p, int dil, int pad) {
    Dev d;
    int oh = (h + 2 * p - dil * (k - 1) - 1) / s + 1, ow = (w + 2 * p - dil * (k - 1) - 1) / s + 1;
    size_t in = (size_t) n * h * w * c, total = (size_t) n * oh * ow * k * k * c;
    std::vector<int8_t> x = random_codes(in, 7), want(total);
    for (int b = 0; b < n; b++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++)
                        for (int ch = 0; ch < c; ch++) {
                            int iy = oy * s - p + ky * dil, ix = ox * s - p + kx * dil;
                            size_t at = ((((size_t) b * oh + oy) * ow + ox) * k * k + (size_t) ky * k + kx) * c + ch;
                            want[at] = (iy < 0 || iy >= h || ix < 0 || ix >= w) ? (int8_t) pad : x[(((size_t) b * h + iy) * w + ix) * c + ch];
                        }
    int8_t* dx = up(d, x);
    int8_t* dcols = d.raw<int8_t>(total);
    auto run = [&] { LAUNCH(nnc_q8_im2col_nhwc, grid1d(total), 256, dx, dcols, n, h, w, c, k, k, s, s, p, p, dil, dil, oh, ow, pad); };
    run();
    result("nnc_q8_im2col_nhwc", shape4(n, h, w, c) + "_k" + std::to_string(k) + "s" + std::to_string(s) + "p" + std::to_string(p),
           same(down(dcols, total), want), median_ms(run), (double) total + in);
}

// Max-pool of NHWC codes; the output size is the caller's (ceil mode and end padding give larger ones).
static void check_max_pool(int n, int h, int w, int c, int k, int s, int p, int oh, int ow) {
    Dev d;
    size_t in = (size_t) n * h * w * c, total = (size_t) n * oh * ow * c;
    std::vector<int8_t> x = random_codes(in, 9), want(total);
    for (int b = 0; b < n; b++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int ch = 0; ch < c; ch++) {
                    int m = -128;
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = oy * s - p + ky, ix = ox * s - p + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = std::max(m, (int) x[(((size_t) b * h + iy) * w + ix) * c + ch]);
                        }
                    want[(((size_t) b * oh + oy) * ow + ox) * c + ch] = (int8_t) m;
                }
    int8_t* dx = up(d, x);
    int8_t* dy = d.raw<int8_t>(total);
    auto run = [&] { LAUNCH(nnc_q8_max_pool_nhwc, grid1d(total), 256, dx, dy, n, h, w, c, oh, ow, k, k, s, s, p, p); };
    run();
    result("nnc_q8_max_pool_nhwc", shape4(n, h, w, c) + "_k" + std::to_string(k) + "s" + std::to_string(s), same(down(dy, total), want),
           median_ms(run), (double) in + total);
}

// Global average pool (int32 sums, mean in double), a lookup table, and a concatenation's block copy.
static void check_pool_lookup_copy(int n, int hw, int c) {
    Dev d;
    size_t in = (size_t) n * hw * c;
    std::vector<int8_t> x = random_codes(in, 11), avg(n * (size_t) c), table = random_codes(256, 12), looked(in);
    const float scale = 0.037f, out_scale = 0.011f;
    const int zp = -5, out_zp = 9;
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++) {
            int acc = 0;
            for (int p = 0; p < hw; p++) acc += x[((size_t) b * hw + p) * c + ch] - zp;
            avg[(size_t) b * c + ch] = (int8_t) cpu_quantize((float) ((double) acc * scale / hw), out_scale, out_zp);
        }
    for (size_t i = 0; i < in; i++) looked[i] = table[x[i] + 128];
    int8_t* dx = up(d, x);
    int8_t* dt = up(d, table);
    int8_t* davg = d.raw<int8_t>(avg.size());
    int8_t* dl = d.raw<int8_t>(in);
    // copy x [n, hw * c] as the second block of rows of 3 * hw * c codes (a concat along the last storage axis)
    long long cols = (long long) hw * c, stride = 3 * cols;
    std::vector<int8_t> block(n * (size_t) stride, 0);
    for (int b = 0; b < n; b++)
        for (long long j = 0; j < cols; j++) block[(size_t) (b * stride + cols + j)] = x[(size_t) (b * cols + j)];
    int8_t* dblock = up(d, std::vector<int8_t>(block.size(), 0));
    auto gap = [&] { LAUNCH(nnc_q8_global_avg_pool, grid1d((long long) n * c), 256, dx, davg, n, hw, c, scale, zp, out_scale, out_zp); };
    auto lut = [&] { LAUNCH(nnc_q8_lookup, grid1d(in), 256, dx, dl, dt, (long long) in); };
    auto copy = [&] { LAUNCH(nnc_q8_copy_block, grid1d(in), 256, dx, dblock, (long long) n, cols, stride, cols); };
    gap();
    lut();
    copy();
    std::string shape = shape4(n, hw, c, 1);
    result("nnc_q8_global_avg_pool", shape, same(down(davg, avg.size()), avg), median_ms(gap), (double) in);
    result("nnc_q8_lookup", shape, same(down(dl, in), looked), median_ms(lut), 2.0 * in);
    result("nnc_q8_copy_block", shape, same(down(dblock, block.size()), block), median_ms(copy), 2.0 * in);
}

// Depthwise conv of NHWC codes (channel multiplier m, top/left padding ph/pw; bottom/right padding only widens
// oh/ow), the epilogue step by step as Int8Depthwise.run: (float) acc * scale[o], + bias[o], ReLU, requantised.
static void check_depthwise(int n, int h, int w, int c, int m, int k, int s, int ph, int pw, int oh, int ow, int dil, bool bias, bool relu) {
    Dev d;
    const int o = c * m, zp = -9, out_zp = 4;
    const float out_scale = 0.05f;
    size_t in = (size_t) n * h * w * c, total = (size_t) n * oh * ow * o;
    std::vector<int8_t> x = random_codes(in, 13), taps = random_codes((size_t) k * k * o, 14), want(total);
    std::vector<float> scale(o), b = randn(o, 15);
    for (int i = 0; i < o; i++) scale[i] = 0.0004f + 0.0001f * (float) i;
    for (int b0 = 0; b0 < n; b0++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int oc = 0; oc < o; oc++) {
                    int acc = 0;
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = oy * s - ph + ky * dil, ix = ox * s - pw + kx * dil;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            acc += (x[(((size_t) b0 * h + iy) * w + ix) * c + oc / m] - zp) * taps[(size_t) (ky * k + kx) * o + oc];
                        }
                    float v = (float) acc * scale[oc];
                    if (bias) v = v + b[oc];
                    if (relu && v < 0.f) v = 0.f;
                    want[(((size_t) b0 * oh + oy) * ow + ox) * o + oc] = (int8_t) cpu_quantize(v, out_scale, out_zp);
                }
    int8_t* dx = up(d, x);
    int8_t* dt = up(d, taps);
    int8_t* dy = d.raw<int8_t>(total);
    float* ds = d.f(scale);
    float* db = bias ? d.f(b) : nullptr;
    auto run = [&] {
        LAUNCH(nnc_q8_depthwise_nhwc, grid1d(total), 256, dx, dt, dy, ds, db, n, h, w, c, m, k, k, s, s, ph, pw, dil, dil, oh, ow, zp,
               relu ? 1 : 0, out_scale, out_zp);
    };
    run();
    result("nnc_q8_depthwise_nhwc", shape4(n, h, w, c) + "_m" + std::to_string(m) + "k" + std::to_string(k) + "s" + std::to_string(s)
           + "d" + std::to_string(dil) + (bias ? "_bias" : "") + (relu ? "_relu" : ""), same(down(dy, total), want), median_ms(run),
           (double) in + total);
}

int main() {
    if (!have_device()) return 2;
    check_quantize(3, 5, 63, 0.031f, -7);            // odd sizes
    check_quantize(2, 1, 1001, 0.5f, 127);           // one channel: NHWC is NCHW
    check_quantize(64, 8, 784, 0.02f, 3);            // the student's conv1 output, past 8 grid rounds
    check_transpose(3, 63, 5);
    check_transpose(2, 1, 17);
    check_im2col(3, 9, 7, 5, 3, 1, 1, 1, -7);        // same padding
    check_im2col(2, 9, 7, 5, 3, 2, 0, 1, 3);         // stride 2, no padding
    check_im2col(2, 8, 8, 3, 3, 1, 2, 2, 0);         // dilated, padding wider than the window's reach
    check_max_pool(3, 9, 7, 5, 3, 2, 1, 5, 4);       // floor mode
    check_max_pool(2, 7, 8, 5, 3, 2, 0, 3, 4);       // ceil mode: the last window overhangs
    check_max_pool(2, 28, 28, 8, 2, 2, 0, 14, 14);   // the student's pool
    check_pool_lookup_copy(3, 49, 5);
    check_pool_lookup_copy(2, 1, 1031);
    check_depthwise(3, 9, 7, 5, 2, 3, 1, 1, 0, 9, 7, 1, true, true);     // multiplier 2, asymmetric padding (top 1, right 2)
    check_depthwise(2, 9, 8, 7, 1, 3, 2, 1, 1, 5, 4, 1, false, false);   // stride 2, no bias, no ReLU
    check_depthwise(2, 8, 8, 3, 1, 3, 1, 2, 2, 8, 8, 2, true, false);    // dilated, padding 2
    check_depthwise(4, 14, 14, 32, 1, 3, 1, 1, 1, 14, 14, 1, true, true); // a MobileNet block, past 8 grid rounds
    std::printf("%s: %d check(s) failed\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
