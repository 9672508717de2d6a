// Standalone check of the shapes family's kernels (no Java): shape.cu's block copy (Concat forward and
// backward), mean over dims and its backward, and pool.cu's windows with ceil mode, asymmetric padding
// and count_include_pad. Each is validated against a CPU loop of its definition (the twins in
// ReferenceBackend: RefShapes, RefPool), then timed (median of 15 launches). One RESULT line per case:
//   RESULT name=... shape=... check=<bit-exact|max_rel_err=..|FAIL..> time_ms=.. rate=.. unit=GB/s peak_frac=-
// Exit code: 0 all checks pass, 1 any mismatch, 2 no CUDA device.
// Validation only, on the CPU (cuda-kernels/emu/cuda_emu.h: 1-D grids capped at 8 blocks, so the
// grid-stride loops run several rounds; times print "-"):
//   g++ -std=c++20 -O1 -pthread -DNNC_EMULATE -x c++ shapes_harness.cu
#include "harness_common.h"
#include "../pool.cu"
#include "../shape.cu"



// Concat of parts [n, c_i, h, w] along the channels, then the split of a gradient back: both through
// nnc_shape_copy_block, each against the definition (exact copies).
static void check_concat(int n, std::vector<int> channels, int h, int w) {
    Dev d;
    int total = 0;
    for (int c : channels) total += c;
    long long inner_after = (long long) h * w, row = total * inner_after;
    std::vector<std::vector<float>> parts;
    std::vector<float*> dparts, dgrads;
    for (size_t i = 0; i < channels.size(); i++) {
        parts.push_back(randn((size_t) n * channels[i] * inner_after, 100 + (unsigned) i));
        dparts.push_back(d.f(parts.back()));
        dgrads.push_back(d.zeros(parts.back().size()));
    }
    size_t ny = (size_t) n * row;
    float* dy = d.zeros(ny);
    std::vector<double> want(ny);
    long long off = 0;
    for (size_t i = 0; i < channels.size(); i++) {
        long long inner = channels[i] * inner_after;
        for (int b = 0; b < n; b++)
            for (long long k = 0; k < inner; k++) want[(size_t) (b * row + off + k)] = parts[i][(size_t) (b * inner + k)];
        off += inner;
    }
    auto fwd = [&] {
        long long o = 0;
        for (size_t i = 0; i < channels.size(); i++) {
            long long inner = channels[i] * inner_after;
            LAUNCH(nnc_shape_copy_block, grid1d(n * inner), 256, dparts[i], dy, (long long) n, inner, inner, 0LL, row, o);
            o += inner;
        }
    };
    fwd();
    std::string c1 = compare(get(dy, ny), want, 0);
    std::vector<float> gy = randn(ny, 99);
    float* dgy = d.f(gy);
    auto bwd = [&] {
        long long o = 0;
        for (size_t i = 0; i < channels.size(); i++) {
            long long inner = channels[i] * inner_after;
            LAUNCH(nnc_shape_copy_block, grid1d(n * inner), 256, dgy, dgrads[i], (long long) n, inner, row, o, inner, 0LL);
            o += inner;
        }
    };
    bwd();
    std::string c2 = "bit-exact";
    off = 0;
    for (size_t i = 0; i < channels.size(); i++) {
        long long inner = channels[i] * inner_after;
        std::vector<double> wg(parts[i].size());
        for (int b = 0; b < n; b++)
            for (long long k = 0; k < inner; k++) wg[(size_t) (b * inner + k)] = gy[(size_t) (b * row + off + k)];
        std::string c = compare(get(dgrads[i], wg.size()), wg, 0);
        if (c != "bit-exact") c2 = c;
        off += inner;
    }
    std::string shape = "N" + std::to_string(n) + "_C";
    for (size_t i = 0; i < channels.size(); i++) shape += (i ? "+" : "") + std::to_string(channels[i]);
    shape += "_" + std::to_string(h) + "x" + std::to_string(w);
    result("shape_concat", shape, c1, median_ms(fwd), 8.0 * ny);
    result("shape_concat_backward", shape, c2, median_ms(bwd), 8.0 * ny);
}

// Mean over the middle of [outer, reduce, inner] and its backward, against the twin's double sums (bit-exact).
static void check_mean(long long outer, long long reduce, long long inner) {
    Dev d;
    size_t nx = (size_t) (outer * reduce * inner), ny = (size_t) (outer * inner);
    std::vector<float> x = randn(nx, 7), gy = randn(ny, 8);
    float *dx = d.f(x), *dy = d.zeros(ny), *dgy = d.f(gy), *ddx = d.zeros(nx);
    std::vector<double> want(ny), wantdx(nx);
    for (long long o = 0; o < outer; o++)
        for (long long i = 0; i < inner; i++) {
            double s = 0;
            for (long long r = 0; r < reduce; r++) s += x[(size_t) ((o * reduce + r) * inner + i)];
            want[(size_t) (o * inner + i)] = (float) (s / (double) reduce);
            for (long long r = 0; r < reduce; r++) wantdx[(size_t) ((o * reduce + r) * inner + i)] = (float) ((double) gy[(size_t) (o * inner + i)] / (double) reduce);
        }
    auto fwd = [&] { LAUNCH(nnc_shape_mean, grid1d((long long) ny), 256, dx, dy, outer, reduce, inner); };
    auto bwd = [&] { LAUNCH(nnc_shape_mean_backward, grid1d((long long) nx), 256, dgy, ddx, outer, reduce, inner); };
    fwd(); std::string c1 = compare(get(dy, ny), want, 0);
    bwd(); std::string c2 = compare(get(ddx, nx), wantdx, 0);
    std::string shape = std::to_string(outer) + "x" + std::to_string(reduce) + "x" + std::to_string(inner);
    result("shape_mean", shape, c1, median_ms(fwd), 4.0 * (nx + ny));
    result("shape_mean_backward", shape, c2, median_ms(bwd), 4.0 * (nx + ny));
}

// Pool2dSpec.out: floor or ceil of (in + begin + end - k) / s + 1; in ceil mode the last window must
// start inside the input or the start padding.
static int pool_out(int in, int k, int begin, int end, int s, bool ceil) {
    long long span = (long long) in + begin + end - k;
    long long out = (ceil ? (span + s - 1) / s : span / s) + 1;
    if (ceil && (out - 1) * s >= in + begin) out--;
    return (int) out;
}

struct Win { int kh, kw, sh, sw, pt, pl, pb, pr; bool ceil, include; };

// Max and average pooling with the full window semantics, forward and backward, against the definition:
// the window's first maximum in row-major scan order (a NaN wins), the average over input positions or,
// with include, over the window clipped to [-pt, h + pb) x [-pl, w + pr); sums in double.
static void check_pool(const Win& k, int planes, int h, int w, bool ties) {
    Dev d;
    int oh = pool_out(h, k.kh, k.pt, k.pb, k.sh, k.ceil), ow = pool_out(w, k.kw, k.pl, k.pr, k.sw, k.ceil);
    size_t nx = (size_t) planes * h * w, ny = (size_t) planes * oh * ow;
    std::vector<float> x = randn(nx, 70, ties), gy = randn(ny, 71);
    if (!ties) x[nx / 2] = NAN;
    float *dx = d.f(x), *dgy = d.f(gy), *dy = d.zeros(ny), *ddx = d.zeros(nx);
    std::vector<double> wmax(ny), wmaxdx(nx, 0.0), wavg(ny), wavgdx(nx, 0.0);
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                size_t o = ((size_t) p * oh + oy) * ow + ox;
                const float* plane = &x[(size_t) p * h * w];
                int y0 = oy * k.sh - k.pt, x0 = ox * k.sw - k.pl, best = -1, cnt = 0;
                float bv = 0.f;
                double s = 0;
                for (int iy = y0; iy < y0 + k.kh; iy++)
                    for (int ix = x0; ix < x0 + k.kw; ix++) {
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        float v = plane[iy * w + ix];
                        if (best < 0 || v > bv || (std::isnan(v) && !std::isnan(bv))) { best = iy * w + ix; bv = v; }
                        s += v;
                        cnt++;
                    }
                if (k.include) cnt = (std::min(y0 + k.kh, h + k.pb) - y0) * (std::min(x0 + k.kw, w + k.pr) - x0);
                wmax[o] = best < 0 ? -INFINITY : bv;
                if (best >= 0) wmaxdx[(size_t) p * h * w + best] += gy[o];
                wavg[o] = (float) (s / cnt);
                for (int iy = std::max(y0, 0); iy < std::min(y0 + k.kh, h); iy++)
                    for (int ix = std::max(x0, 0); ix < std::min(x0 + k.kw, w); ix++) wavgdx[(size_t) p * h * w + iy * w + ix] += gy[o] / (double) cnt;
            }
    auto fwd = [&] { LAUNCH(nnc_pool_max_forward, grid1d((long long) ny), 256, dx, dy, planes, h, w, k.kh, k.kw, k.sh, k.sw, k.pt, k.pl, oh, ow); };
    auto bwd = [&] { LAUNCH(nnc_pool_max_backward, grid1d((long long) nx), 256, dx, dgy, ddx, planes, h, w, k.kh, k.kw, k.sh, k.sw, k.pt, k.pl, oh, ow); };
    auto afwd = [&] { LAUNCH(nnc_pool_avg_forward, grid1d((long long) ny), 256, dx, dy, planes, h, w, k.kh, k.kw, k.sh, k.sw, k.pt, k.pl, k.pb, k.pr, (int) k.include, oh, ow); };
    auto abwd = [&] { LAUNCH(nnc_pool_avg_backward, grid1d((long long) nx), 256, dgy, ddx, planes, h, w, k.kh, k.kw, k.sh, k.sw, k.pt, k.pl, k.pb, k.pr, (int) k.include, oh, ow); };
    fwd(); std::string c1 = compare(get(dy, ny), wmax, 0);
    bwd(); std::string c2 = compare(get(ddx, nx), wmaxdx, 1e-6);  // float sums of the windows' gradients
    afwd(); std::string c3 = compare(get(dy, ny), wavg, 1e-6);    // float sum of <= kh*kw values
    abwd(); std::string c4 = compare(get(ddx, nx), wavgdx, 1e-6);
    char shape[128];
    std::snprintf(shape, sizeof shape, "%dx%dx%d_k%dx%d_s%dx%d_p%d.%d.%d.%d%s%s%s", planes, h, w, k.kh, k.kw, k.sh, k.sw, k.pt, k.pl, k.pb, k.pr,
                  k.ceil ? "_ceil" : "", k.include ? "_incl" : "", ties ? "_ties" : "");
    double bf = 4.0 * (nx + ny), bb = 4.0 * (2 * nx + ny);
    result("pool_max_forward", shape, c1, median_ms(fwd), bf);
    result("pool_max_backward", shape, c2, median_ms(bwd), bb);
    result("pool_avg_forward", shape, c3, median_ms(afwd), bf);
    result("pool_avg_backward", shape, c4, median_ms(abwd), bb - 4.0 * nx);
}

int main() {
    if (!have_device()) return 2;
    check_concat(3, {5, 7, 1}, 9, 11);      // odd channel counts and sizes
    check_concat(2, {64, 64}, 27, 27);      // a SqueezeNet fire module's expand pair, past 8 grid rounds
    check_mean(15, 49, 1);                  // mean over H, W of [3, 5, 7, 7]: contiguous runs
    check_mean(3, 5, 36);                   // mean over channels of [3, 5, 6, 6]: strided reads
    check_mean(4, 1, 2049);                 // one value averaged: the identity, divided by 1
    // SqueezeNet's 3x3/2 ceil-mode max-pool on 7x7 and 8x8 (the last window overhangs), asymmetric SAME
    // padding, and averages that count the padding, with and without ceil mode
    check_pool({3, 3, 2, 2, 0, 0, 0, 0, true, false}, 15, 8, 8, false);
    check_pool({3, 3, 2, 2, 0, 0, 0, 0, true, false}, 15, 7, 8, true);
    check_pool({2, 3, 2, 2, 0, 1, 1, 1, false, false}, 15, 7, 6, false);
    check_pool({3, 3, 1, 1, 1, 1, 1, 1, false, true}, 15, 7, 6, true);
    check_pool({3, 3, 2, 2, 1, 1, 1, 1, true, true}, 15, 8, 9, false);
    check_pool({3, 2, 2, 2, 2, 0, 1, 1, true, true}, 15, 7, 7, false);
    std::printf("%s: %d check(s) failed\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
