// Standalone check of the pointwise kernels (activation.cu, broadcast.cu, softmax.cu; no Java): each is
// validated against a CPU loop of its definition (the twins' arithmetic: dev.nncompress.backend.ref.
// RefActivations and RefBroadcast), then timed with cudaEvents (median of reps) against the memory peak.
//   RESULT name=... shape=... check=<bit-exact|max_rel_err=..|FAIL> time_ms=.. rate=.. unit=GB/s peak_frac=..
// Exit code: 0 all checks pass, 1 any mismatch, 2 no CUDA device.
// Validation only, on the CPU (cuda-kernels/emu/cuda_emu.h: 1-D grids capped at 8 blocks, which the
// grid-stride loops must handle; no timing, the timed shapes are left out):
//   g++ -std=c++20 -O1 -pthread -DNNC_EMULATE -x c++ pointwise_harness.cu
#include "harness_common.h"
#include "../activation.cu"
#include "../broadcast.cu"
#include "../softmax.cu"



// N(0, 1) inputs times k (a power of two keeps them the same draws, exactly): activations' interesting ranges.
static std::vector<float> scaled(std::vector<float> v, float k) {
    for (float& x : v) x *= k;
    return v;
}

// ---- the CPU definitions (the twins' arithmetic, written again here) ----
static float jmax(float a, float b) { if (a != a) return a; if (a == 0.f && b == 0.f && std::signbit(a)) return b; return a >= b ? a : b; }
static float jmin(float a, float b) { if (a != a) return a; if (a == 0.f && b == 0.f && std::signbit(b)) return b; return a <= b ? a : b; }

static float cpu_act(int kind, float x, float a, float b) {
    float v = a * x + b;  // -ffp-contract=off / host code: two roundings
    switch (kind) {
        case NNC_ACT_CLIP: return jmin(jmax(x, a), b);
        case NNC_ACT_LEAKY_RELU: return x > 0.f ? x : x * a;
        case NNC_ACT_SIGMOID: return (float) (1.0 / (1.0 + std::exp(-(double) x)));
        case NNC_ACT_HARD_SIGMOID: return jmin(jmax(v, 0.f), 1.f);
        case NNC_ACT_HARD_SWISH: return x * jmin(jmax(v, 0.f), 1.f);
        default: return (float) std::tanh((double) x);
    }
}

static float cpu_act_grad(int kind, float x, float y, float g, float a, float b) {
    float v = a * x + b;
    switch (kind) {
        case NNC_ACT_CLIP: return x > a && x < b ? g : 0.f;
        case NNC_ACT_LEAKY_RELU: return x > 0.f ? g : g * a;
        case NNC_ACT_SIGMOID: return (float) ((double) g * y * (1.0 - y));
        case NNC_ACT_HARD_SIGMOID: return v > 0.f && v < 1.f ? g * a : 0.f;
        case NNC_ACT_HARD_SWISH: return v < 0.f ? 0.f : v > 1.f ? g : (float) ((double) g * (2.0 * a * x + b));
        default: return (float) ((double) g * (1.0 - (double) y * y));
    }
}

static void check_activations() {
    const char* names[] = {"clip", "leaky_relu", "sigmoid", "hard_sigmoid", "hard_swish", "tanh"};
    const float params[][2] = {{0.f, 6.f}, {0.01f, 0.f}, {0.f, 0.f}, {0.2f, 0.5f}, {1.f / 6.f, 0.5f}, {0.f, 0.f}};
#ifdef NNC_EMULATE
    const long long n = 100003;
#else
    const long long n = 1000003;
#endif
    Dev d;
    std::vector<float> x = scaled(randn(n, 1), 4.f), g = randn(n, 2);
    float special[] = {-0.f, 0.f, NAN, INFINITY, -INFINITY, 1e-45f, -1e-45f, 6.f, 3.f, -3.f, 2.5f, -2.5f, 100.f, -100.f};
    std::copy(std::begin(special), std::end(special), x.begin());
    float *dx = d.f(x), *dg = d.f(g), *dy = d.zeros(n), *dd = d.zeros(n);
    for (int k = 0; k < 6; k++) {
        float a = params[k][0], b = params[k][1];
        LAUNCH(nnc_act_forward, grid1d(n), 256, k, dx, dy, n, a, b);
        std::vector<float> y = get(dy, n), want(n);
        for (long long i = 0; i < n; i++) want[i] = cpu_act(k, x[i], a, b);
        bool exp_based = k == NNC_ACT_SIGMOID || k == NNC_ACT_TANH;  // the device's exp/tanh vs the host's libm
        result(std::string("act_") + names[k], std::to_string(n), compare(y, want, exp_based ? 1e-6 : 0),
               median_ms([&] { LAUNCH(nnc_act_forward, grid1d(n), 256, k, dx, dy, n, a, b); }), 8.0 * n);
        LAUNCH(nnc_act_backward, grid1d(n), 256, k, dx, dy, dg, dd, n, a, b);
        for (long long i = 0; i < n; i++) want[i] = cpu_act_grad(k, x[i], y[i], g[i], a, b);
        result(std::string("act_") + names[k] + "_backward", std::to_string(n), compare(get(dd, n), want, exp_based ? 1e-6 : 0),
               median_ms([&] { LAUNCH(nnc_act_backward, grid1d(n), 256, k, dx, dy, dg, dd, n, a, b); }), 16.0 * n);
    }
}

// ---- broadcasting ----
struct Collapsed { std::vector<int> dims; std::vector<bool> aspan, bspan; std::vector<int> out; };

// BroadcastGeometry.of, written again: align from the right, drop size-1 output dims, merge neighbours of one pattern.
static Collapsed collapse(const std::vector<int>& as, const std::vector<int>& bs) {
    size_t r = std::max(as.size(), bs.size());
    Collapsed c;
    for (size_t i = 0; i < r; i++) {
        int ad = i < r - as.size() ? 1 : as[i - (r - as.size())], bd = i < r - bs.size() ? 1 : bs[i - (r - bs.size())];
        int o = ad == 1 ? bd : ad;
        c.out.push_back(o);
        if (o == 1) continue;
        bool pa = ad == o, pb = bd == o;
        if (!c.dims.empty() && c.aspan.back() == pa && c.bspan.back() == pb) c.dims.back() *= o;
        else { c.dims.push_back(o); c.aspan.push_back(pa); c.bspan.push_back(pb); }
    }
    if (c.dims.empty()) { c.dims.push_back(1); c.aspan.push_back(true); c.bspan.push_back(true); }
    return c;
}

struct KernelGeo { int d[6]; int amask, bmask; };

static KernelGeo kernel_geo(const Collapsed& c) {
    KernelGeo k{{1, 1, 1, 1, 1, 1}, 0, 0};
    int off = 6 - (int) c.dims.size();
    for (size_t i = 0; i < c.dims.size(); i++) {
        k.d[off + i] = c.dims[i];
        if (!c.aspan[i]) k.amask |= 1 << (off + i);
        if (!c.bspan[i]) k.bmask |= 1 << (off + i);
    }
    return k;
}

static long long numel(const std::vector<int>& s) { long long n = 1; for (int d : s) n *= d; return n; }

// Offsets of every output element in a and b, by the plain definition on the original shapes.
static void ref_offsets(const std::vector<int>& as, const std::vector<int>& bs, const std::vector<int>& out, std::vector<long long>& ia,
                        std::vector<long long>& ib) {
    long long n = numel(out);
    ia.resize(n); ib.resize(n);
    size_t r = out.size();
    for (long long e = 0; e < n; e++) {
        long long rem = e, oa = 0, ob = 0, sa = 1, sb = 1;
        for (size_t kk = r; kk-- > 0;) {
            long long c = rem % out[kk]; rem /= out[kk];
            int ad = kk < r - as.size() ? 1 : as[kk - (r - as.size())], bd = kk < r - bs.size() ? 1 : bs[kk - (r - bs.size())];
            if (kk >= r - as.size()) { if (ad != 1) oa += c * sa; sa *= ad; }
            if (kk >= r - bs.size()) { if (bd != 1) ob += c * sb; sb *= bd; }
        }
        ia[e] = oa; ib[e] = ob;
    }
}

static float cpu_apply(int kind, float a, float b) { return kind == 0 ? a + b : kind == 1 ? a - b : kind == 2 ? a * b : a / b; }

static double cpu_term(int kind, int operand, float g, float a, float b) {
    switch (kind) {
        case 0: return g;
        case 1: return operand == 0 ? (double) g : -(double) g;
        case 2: return (double) g * (operand == 0 ? b : a);
        default: return operand == 0 ? (double) g / b : -((double) g * a) / ((double) b * b);
    }
}

static std::string dims_str(const std::vector<int>& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); i++) out += (i ? "x" : "") + std::to_string(s[i]);
    return out;
}

// all four kinds, or (all_kinds false: the kinds share every index computation) sub and div, whose gradients differ per operand
static void check_broadcast(const std::vector<int>& as, const std::vector<int>& bs, bool timed, bool all_kinds = true) {
    const char* names[] = {"add", "sub", "mul", "div"};
    Collapsed c = collapse(as, bs);
    KernelGeo k = kernel_geo(c);
    long long n = numel(c.out), na = numel(as), nb = numel(bs);
    std::vector<long long> ia, ib;
    ref_offsets(as, bs, c.out, ia, ib);
    Dev d;
    std::vector<float> a = randn(na, 3), b = randn(nb, 4), g = randn(n, 5);
    for (auto& v : b) v = std::copysign(0.25f + std::fabs(v), v);  // no division by ~0
    float *da = d.f(a), *db = d.f(b), *dg = d.f(g), *dy = d.zeros(n), *dda = d.zeros(na), *ddb = d.zeros(nb);
    std::string shape = dims_str(as) + "_" + dims_str(bs);
    for (int kind = all_kinds ? 0 : 1; kind < 4; kind += all_kinds ? 1 : 2) {
        auto fwd = [&] { LAUNCH(nnc_bc_forward, grid1d(n), 256, kind, da, db, dy, n, k.d[0], k.d[1], k.d[2], k.d[3], k.d[4], k.d[5], k.amask, k.bmask); };
        fwd();
        std::vector<float> want(n);
        for (long long e = 0; e < n; e++) want[e] = cpu_apply(kind, a[ia[e]], b[ib[e]]);
        result(std::string("bc_") + names[kind], shape, compare(get(dy, n), want, 0), timed ? median_ms(fwd) : 0.f, 4.0 * (n + na + nb));
        for (int operand = 0; operand < 2; operand++) {
            long long count = operand == 0 ? na : nb, terms = n / count;
            std::vector<double> acc(count, 0.0);
            std::vector<bool> seen(count, false);
            for (long long e = 0; e < n; e++) {
                long long at = operand == 0 ? ia[e] : ib[e];
                double t = cpu_term(kind, operand, g[e], a[ia[e]], b[ib[e]]);
                acc[at] = seen[at] ? acc[at] + t : t;
                seen[at] = true;
            }
            std::vector<float> wg(count);
            for (long long i = 0; i < count; i++) wg[i] = (float) acc[i];
            float* out = operand == 0 ? dda : ddb;
            // both kernels on every case: the thread one sums in the twin's order (exact for one term), the block one in a tree
            auto thread = [&] { LAUNCH(nnc_bc_backward_thread, grid1d(count), 256, kind, operand, da, db, dg, out, (int) count, (int) terms,
                                       k.d[0], k.d[1], k.d[2], k.d[3], k.d[4], k.d[5], k.amask, k.bmask); };
            auto block = [&] { LAUNCH(nnc_bc_backward_block, dim3((unsigned) std::min(count, max_grid1d)), 256, kind, operand, da, db, dg, out,
                                      (int) count, (int) terms, k.d[0], k.d[1], k.d[2], k.d[3], k.d[4], k.d[5], k.amask, k.bmask); };
            std::string tag = std::string("bc_") + names[kind] + "_backward_" + (operand == 0 ? "a" : "b");
            thread();
            result(tag + "_thread", shape, compare(get(out, count), wg, terms == 1 ? 0 : 1e-6), timed && terms < 256 ? median_ms(thread) : 0.f,
                   4.0 * (2 * n + count));
            if (terms > 1) {
                block();
                result(tag + "_block", shape, compare(get(out, count), wg, 1e-6), timed && terms >= 256 ? median_ms(block) : 0.f, 4.0 * (2 * n + count));
            }
        }
    }
}

static void check_softmax(int outer, int k, int inner, bool timed) {
    Dev d;
    long long n = (long long) outer * k * inner;
    std::vector<float> x = scaled(randn(n, 6), 4.f), g = randn(n, 7);
    if (n > 3) { x[0] = 1000.f; x[1] = -INFINITY; }
    float *dx = d.f(x), *dg = d.f(g), *dy = d.zeros(n), *dd = d.zeros(n);
    long long rows = (long long) outer * inner;
    auto fwd = [&] { LAUNCH(nnc_softmax_forward, grid1d(rows), 256, dx, dy, outer, k, inner); };
    fwd();
    std::vector<float> want(n), y = get(dy, n);
    for (long long r = 0; r < rows; r++) {
        long long base = (r / inner) * k * inner + r % inner;
        double m = -INFINITY, sum = 0;
        for (int j = 0; j < k; j++) m = std::max(m, (double) x[base + (long long) j * inner]);
        for (int j = 0; j < k; j++) sum += std::exp(x[base + (long long) j * inner] - m);
        for (int j = 0; j < k; j++) want[base + (long long) j * inner] = (float) (std::exp(x[base + (long long) j * inner] - m) / sum);
    }
    std::string shape = std::to_string(outer) + "x" + std::to_string(k) + "x" + std::to_string(inner);
    result("softmax_forward", shape, compare(y, want, 1e-6), timed ? median_ms(fwd) : 0.f, 8.0 * n);
    auto bwd = [&] { LAUNCH(nnc_softmax_backward, grid1d(rows), 256, dy, dg, dd, outer, k, inner); };
    bwd();
    for (long long r = 0; r < rows; r++) {
        long long base = (r / inner) * k * inner + r % inner;
        double dot = 0;
        for (int j = 0; j < k; j++) dot += (double) g[base + (long long) j * inner] * y[base + (long long) j * inner];
        for (int j = 0; j < k; j++) {
            long long at = base + (long long) j * inner;
            want[at] = (float) (y[at] * (g[at] - dot));
        }
    }
    result("softmax_backward", shape, compare(get(dd, n), want, 1e-6), timed ? median_ms(bwd) : 0.f, 12.0 * n);
}

int main() {
    if (!have_device()) return 2;
    cudaDeviceProp prop; CHECK(cudaGetDeviceProperties(&prop, 0));
    mem_peak_gbs = memory_peak_gbs();
    std::printf("device %s, CC %d.%d: memory peak %.0f GB/s\n", prop.name, prop.major, prop.minor, mem_peak_gbs);
    check_activations();
    check_broadcast({3, 5, 7}, {3, 5, 7}, false);
    check_broadcast({2, 6, 5, 7}, {2, 6, 1, 1}, false);   // squeeze-excitation
    check_broadcast({2, 6, 5, 7}, {6, 1, 1}, false, false);  // per-channel constant
    check_broadcast({1}, {2, 6, 5, 7}, false, false);        // a scalar first
    check_broadcast({2, 3, 1, 5}, {3, 4, 1}, false);         // both stretched
    check_broadcast({4, 1, 9}, {4, 9, 1}, false, false);
    check_broadcast({3, 1, 2, 1, 2, 1}, {1, 2, 1, 2, 1, 2}, false, false);  // six alternating dims
    check_softmax(7, 10, 1, false);
    check_softmax(3, 5, 24, false);
    check_softmax(2, 300, 1, false);
#ifndef NNC_EMULATE
    check_broadcast({64, 256, 28, 28}, {64, 256, 1, 1}, true);
    check_broadcast({64, 256, 28, 28}, {1}, true);
    check_softmax(4096, 1000, 1, true);
    check_softmax(64, 256, 784, true);
#endif
    std::printf("%s: %d check(s) failed\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
