// JNI entry points of dev.nncompress.backend.cpu.NativeSparse (generic x86-64; the AVX2 and AVX-512
// kernels run only after __builtin_cpu_supports said yes). Activations are CpuTensor off-heap blocks
// passed by address, so nothing is pinned; the CSR weight is copied once into native memory. Every
// entry point checks its arguments once per call before touching memory (jni_checks.h): the Java side
// passes the length of each off-heap block beside its address for that.
#include <jni.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "gemm_s8.h"
#include "jni_checks.h"
#include "sparse_f32.h"

namespace {

using nnc::Csr;

bool cpu_has(int variant) {
    __builtin_cpu_init();
    switch (variant) {
        case nnc::kSparseScalar: return true;
        case nnc::kSparseAvx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case nnc::kSparseAvx512: return __builtin_cpu_supports("avx512f");
        default: return false;
    }
}

void throw_java(JNIEnv* env, const char* cls, const char* msg) {
    jclass c = env->FindClass(cls);
    if (c != nullptr) env->ThrowNew(c, msg);
}

void free_csr(Csr* w) {
    if (w == nullptr) return;
    nnc::free_aligned(w->row_ptr);
    nnc::free_aligned(w->col);
    nnc::free_aligned(w->val);
    delete w;
}

void rows(int variant, const Csr& w, const float* bias, const float* b, size_t ldb, int p, float* out, size_t ldo) {
    switch (variant) {
        case nnc::kSparseAvx512: nnc::csr_rows_avx512(w, bias, b, ldb, p, out, ldo, 0, w.rows); break;
        case nnc::kSparseAvx2: nnc::csr_rows_avx2(w, bias, b, ldb, p, out, ldo, 0, w.rows); break;
        default: nnc::csr_rows_scalar(w, bias, b, ldb, p, out, ldo, 0, w.rows); break;
    }
}

template <typename T>
T* ptr(jlong address) { return reinterpret_cast<T*>(static_cast<intptr_t>(address)); }

// Per-thread scratch (im2col buffer, transposed blocks), kept between calls: a fresh allocation of a
// few hundred KB is an mmap plus page faults on every call, which cost more than the small layers'
// kernels themselves (measured: student fc1 0.5 ms -> see docs/pruning.md). Freed when the thread ends.
struct Scratch {
    float* data = nullptr;
    size_t floats = 0;
    ~Scratch() { nnc::free_aligned(data); }
    float* get(size_t n) {
        if (n > floats) {
            nnc::free_aligned(data);
            data = static_cast<float*>(nnc::aligned_bytes(sizeof(float) * n));
            floats = data == nullptr ? 0 : n;
        }
        return data;
    }
};
thread_local Scratch scratch_a;
thread_local Scratch scratch_b;

// Batch columns per block of the linear kernel: x^T [F, kLinearBlock] stays in L2 for F up to a few
// thousand, and 64 columns keep 4 zmm chains busy (measured in SparseKernelsBench).
constexpr int kLinearBlock = 64;

// The arguments every sparse call shares: a known variant this CPU runs, a handle, 0 <= from <= to, a
// bias of at least `rows` floats when there is one.
bool common_ok(JNIEnv* env, const char* what, jint variant, jlong handle, jlong bias, jlong bias_len, jint from, jint to) {
    if (!nnc::require(env, variant >= nnc::kSparseScalar && variant <= nnc::kSparseAvx512 && cpu_has(variant), what,
                      "variant %d is not one this CPU runs", variant))
        return false;
    if (!nnc::require(env, handle != 0, what, "no prepared weight")) return false;
    if (!nnc::require(env, 0 <= from && from <= to, what, "range [%d, %d) is not ordered from 0", from, to)) return false;
    const Csr& w = *ptr<Csr>(handle);
    return nnc::require(env, bias == 0 || bias_len >= w.rows, what, "bias holds %lld floats for %d output channels",
                        static_cast<long long>(bias_len), w.rows);
}

}  // namespace

extern "C" {

JNIEXPORT jint JNICALL Java_dev_nncompress_backend_cpu_NativeSparse_supportedVariants(JNIEnv*, jclass) {
    jint mask = 0;
    for (int v = nnc::kSparseScalar; v <= nnc::kSparseAvx512; v++)
        if (cpu_has(v)) mask |= 1 << v;
    return mask;
}

// Copies the CSR weight into native memory after checking it: rows + 1 row pointers rising from 0 to
// nnz, nnz within both arrays, every column in [0, cols). The checks run on the native copy, which the
// kernels then read: what was checked is what runs.
JNIEXPORT jlong JNICALL Java_dev_nncompress_backend_cpu_NativeSparse_prepare(JNIEnv* env, jclass, jintArray rowPtr, jintArray col,
                                                                            jfloatArray val, jint rows, jint cols) {
    const char* what = "sparse prepare";
    const int64_t rp_len = nnc::array_length(env, rowPtr), col_len = nnc::array_length(env, col), val_len = nnc::array_length(env, val);
    if (!nnc::require(env, rows >= 1 && cols >= 1, what, "rows %d and cols %d must be >= 1", rows, cols)) return 0;
    if (!nnc::require(env, rp_len >= static_cast<int64_t>(rows) + 1 && col_len >= 0 && val_len >= 0, what,
                      "row_ptr has %lld entries for %d rows (needs rows + 1), col and val must not be null", static_cast<long long>(rp_len), rows))
        return 0;
    Csr* w = new (std::nothrow) Csr{rows, cols, nullptr, nullptr, nullptr};
    if (w != nullptr) w->row_ptr = static_cast<int32_t*>(nnc::aligned_bytes(sizeof(int32_t) * (static_cast<size_t>(rows) + 1)));
    if (w == nullptr || w->row_ptr == nullptr) {
        free_csr(w);
        throw_java(env, "java/lang/OutOfMemoryError", "sparse kernels: no native memory for the CSR weight");
        return 0;
    }
    env->GetIntArrayRegion(rowPtr, 0, rows + 1, reinterpret_cast<jint*>(w->row_ptr));
    bool monotone = w->row_ptr[0] == 0;
    for (int r = 0; monotone && r < rows; r++) monotone = w->row_ptr[r + 1] >= w->row_ptr[r];
    const int64_t nnz = w->row_ptr[rows];
    if (!nnc::require(env, monotone && nnz <= col_len && nnz <= val_len, what,
                      "row_ptr must rise from 0 to nnz <= %lld (col) and %lld (val) entries; ends at %lld",
                      static_cast<long long>(col_len), static_cast<long long>(val_len), static_cast<long long>(nnz))) {
        free_csr(w);
        return 0;
    }
    w->col = static_cast<int32_t*>(nnc::aligned_bytes(sizeof(int32_t) * static_cast<size_t>(nnz)));
    w->val = static_cast<float*>(nnc::aligned_bytes(sizeof(float) * static_cast<size_t>(nnz)));
    if (w->col == nullptr || w->val == nullptr) {
        free_csr(w);
        throw_java(env, "java/lang/OutOfMemoryError", "sparse kernels: no native memory for the CSR weight");
        return 0;
    }
    env->GetIntArrayRegion(col, 0, static_cast<jsize>(nnz), reinterpret_cast<jint*>(w->col));
    env->GetFloatArrayRegion(val, 0, static_cast<jsize>(nnz), w->val);
    int64_t bad = -1;
    for (int64_t e = 0; bad < 0 && e < nnz; e++)
        if (w->col[e] < 0 || w->col[e] >= cols) bad = e;
    if (!nnc::require(env, bad < 0, what, "col[%lld] = %d is outside [0, %d)", static_cast<long long>(bad), bad < 0 ? 0 : w->col[bad], cols)) {
        free_csr(w);
        return 0;
    }
    return static_cast<jlong>(reinterpret_cast<intptr_t>(w));
}

JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeSparse_free(JNIEnv*, jclass, jlong handle) {
    free_csr(ptr<Csr>(handle));
}


// Images [from, to) of y [n, O, oh, ow] = conv(x [n, c, h, w], CSR) + bias; shape = {c, h, w, kh, kw,
// sh, sw, ph, pw, oh, ow}; x_len, y_len, bias_len: floats in each block. A 1x1 stride-1 unpadded conv
// reads x directly (its im2col is x).
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeSparse_conv(JNIEnv* env, jclass, jint variant, jlong handle, jlong bias,
                                                                         jlong bias_len, jlong x, jlong x_len, jlong y, jlong y_len,
                                                                         jintArray shape, jint from, jint to) {
    const char* what = "sparse conv";
    if (!common_ok(env, what, variant, handle, bias, bias_len, from, to)) return;
    if (!nnc::require(env, nnc::array_length(env, shape) >= 11, what, "shape needs 11 entries")) return;
    jint s[11];
    env->GetIntArrayRegion(shape, 0, 11, s);
    const Csr& w = *ptr<Csr>(handle);
    const int c = s[0], h = s[1], wd = s[2], kh = s[3], kw = s[4], sh = s[5], sw = s[6], ph = s[7], pw = s[8], oh = s[9], ow = s[10];
    if (!nnc::require(env, c >= 1 && nnc::window_ok(h, kh, sh, ph, oh) && nnc::window_ok(wd, kw, sw, pw, ow), what,
                      "inconsistent geometry: c %d, input %dx%d, kernel %dx%d, stride %dx%d, pad %dx%d, output %dx%d", c, h, wd, kh, kw, sh,
                      sw, ph, pw, oh, ow))
        return;
    const int64_t taps = nnc::product(c, kh, kw), in_size = nnc::product(c, h, wd), p64 = nnc::product(oh, ow);
    if (!nnc::require(env, taps == w.cols && p64 >= 1 && p64 <= INT32_MAX, what, "weight has %d taps, the window c*kh*kw = %lld; %lld output pixels", w.cols,
                      static_cast<long long>(taps), static_cast<long long>(p64)))
        return;
    if (!nnc::require(env, x != 0 && y != 0 && nnc::product(to, in_size) >= 0 && nnc::product(to, in_size) <= x_len &&
                               nnc::product(to, w.rows, p64) >= 0 && nnc::product(to, w.rows, p64) <= y_len,
                      what, "images up to %d need %lld input and %lld output floats, the blocks hold %lld and %lld", to,
                      static_cast<long long>(nnc::product(to, in_size)), static_cast<long long>(nnc::product(to, w.rows, p64)),
                      static_cast<long long>(x_len), static_cast<long long>(y_len)))
        return;
    const size_t p = static_cast<size_t>(p64);
    const bool identity = kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
    float* cols = identity ? nullptr : scratch_a.get(p * static_cast<size_t>(taps));
    if (!identity && cols == nullptr) {
        throw_java(env, "java/lang/OutOfMemoryError", "sparse conv: no native memory for the im2col buffer");
        return;
    }
    for (int i = from; i < to; i++) {
        const float* xi = ptr<const float>(x) + static_cast<size_t>(in_size) * i;
        if (!identity) nnc::im2col_f32(xi, c, h, wd, kh, kw, sh, sw, ph, pw, oh, ow, cols);
        rows(variant, w, ptr<const float>(bias), identity ? xi : cols, p, static_cast<int>(p), ptr<float>(y) + p * w.rows * i, p);
    }
}

// Rows [from, to) of y [n, O] = x [n, F] W^T + bias, in blocks of kLinearBlock rows: transpose the
// block of x to [F, block], run the kernel into y^T [O, block], transpose back. x_len, y_len, bias_len:
// floats in each block.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeSparse_linear(JNIEnv* env, jclass, jint variant, jlong handle, jlong bias,
                                                                           jlong bias_len, jlong x, jlong x_len, jlong y, jlong y_len,
                                                                           jint from, jint to) {
    const char* what = "sparse linear";
    if (!common_ok(env, what, variant, handle, bias, bias_len, from, to)) return;
    const Csr& w = *ptr<Csr>(handle);
    const int64_t need_x = nnc::product(to, w.cols), need_y = nnc::product(to, w.rows);
    if (!nnc::require(env, x != 0 && y != 0 && need_x >= 0 && need_x <= x_len && need_y >= 0 && need_y <= y_len, what,
                      "rows up to %d need %lld input and %lld output floats, the blocks hold %lld and %lld", to,
                      static_cast<long long>(need_x), static_cast<long long>(need_y), static_cast<long long>(x_len),
                      static_cast<long long>(y_len)))
        return;
    const size_t f = static_cast<size_t>(w.cols);
    const size_t o = static_cast<size_t>(w.rows);
    float* xt = scratch_a.get(f * kLinearBlock);
    float* yt = scratch_b.get(o * kLinearBlock);
    if (xt == nullptr || yt == nullptr) {
        throw_java(env, "java/lang/OutOfMemoryError", "sparse linear: no native memory for the transposed block");
        return;
    }
    const float* xs = ptr<const float>(x);
    float* ys = ptr<float>(y);
    for (int r0 = from; r0 < to; r0 += kLinearBlock) {
        const int nb = to - r0 < kLinearBlock ? to - r0 : kLinearBlock;
        for (int r = 0; r < nb; r++) {
            const float* row = xs + (static_cast<size_t>(r0) + r) * f;
            for (size_t k = 0; k < f; k++) xt[k * nb + r] = row[k];
        }
        rows(variant, w, ptr<const float>(bias), xt, static_cast<size_t>(nb), nb, yt, static_cast<size_t>(nb));
        for (int r = 0; r < nb; r++) {
            float* row = ys + (static_cast<size_t>(r0) + r) * o;
            for (size_t k = 0; k < o; k++) row[k] = yt[k * nb + r];
        }
    }
}

}  // extern "C"
