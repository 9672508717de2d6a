// Argument checks of the JNI entry points: the native layer's own line of defence, made once per call
// before any memory is touched (never inside the kernels' loops). The Java callers check the same
// things first, with better messages; these exist so that a Java bug, or a size that slipped past it,
// is an IllegalArgumentException instead of a write past a buffer. All arithmetic is in int64, so a
// product cannot wrap into a plausible small number.
#ifndef NNCOMPRESS_JNI_CHECKS_H
#define NNCOMPRESS_JNI_CHECKS_H

#include <jni.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>

namespace nnc {

// When !ok: throws java.lang.IllegalArgumentException("native <what>: <printf(fmt, ...)>") and returns
// false (the caller returns at once, with the exception pending).
__attribute__((format(printf, 4, 5))) static inline bool require(JNIEnv* env, bool ok, const char* what, const char* fmt, ...) {
    if (ok) return true;
    char detail[200];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(detail, sizeof detail, fmt, args);
    va_end(args);
    char msg[256];
    std::snprintf(msg, sizeof msg, "native %s: %s", what, detail);
    jclass c = env->FindClass("java/lang/IllegalArgumentException");
    if (c != nullptr) env->ThrowNew(c, msg);
    return false;
}

// 0 <= from <= to <= limit: the images, rows or lines a call covers.
static inline bool range_ok(JNIEnv* env, const char* what, jint from, jint to, int64_t limit) {
    return require(env, 0 <= from && from <= to && to <= limit, what, "range [%d, %d) is not inside [0, %lld]", from, to, static_cast<long long>(limit));
}

// The length of a Java array, -1 for null.
static inline int64_t array_length(JNIEnv* env, jarray a) { return a == nullptr ? -1 : static_cast<int64_t>(env->GetArrayLength(a)); }

// One spatial axis of a convolution or pool window: sizes >= 1, 0 <= pad < k, the padded extent in
// int range, and out equal to (in + 2 pad - k) / stride + 1 as the Java side computes it.
static inline bool window_ok(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t out) {
    if (in < 1 || k < 1 || stride < 1 || pad < 0 || pad >= k || out < 1) return false;
    const int64_t padded = in + 2 * pad;
    if (padded > INT32_MAX || padded < k) return false;
    return (padded - k) / stride + 1 == out;
}

// One conv axis (pads may differ, dilation): sizes >= 1, each pad below the dilated kernel extent, the padded size in int range and at
// least the extent, out == (in + pad_lo + pad_hi - extent) / stride + 1 (as ConvGeometry computes it).
static inline bool axis_ok(int64_t in, int64_t k, int64_t stride, int64_t pad_lo, int64_t pad_hi, int64_t dil, int64_t out) {
    if (in < 1 || k < 1 || stride < 1 || dil < 1 || pad_lo < 0 || pad_hi < 0 || out < 1) return false;
    const int64_t extent = dil * (k - 1) + 1, padded = in + pad_lo + pad_hi;
    if (extent > INT32_MAX || pad_lo >= extent || pad_hi >= extent || padded > INT32_MAX || padded < extent) return false;
    return (padded - extent) / stride + 1 == out;
}

// a * b * c * d for non-negative factors below 2^31, -1 when it reaches 2^62 (then it cannot match any length).
static inline int64_t product(int64_t a, int64_t b, int64_t c = 1, int64_t d = 1) {
    const int64_t f[4] = {a, b, c, d};
    int64_t p = 1;
    for (int64_t x : f) {
        if (x < 0) return -1;
        if (x != 0 && p > (INT64_C(1) << 62) / x) return -1;
        p *= x;
    }
    return p;
}

// Arrays a and b hold at least need_a and need_b elements, what images [0, imgTo) take of each; a negative need
// (a product that overflowed) fits no array.
static inline bool arrays_hold(JNIEnv* env, const char* what, jint imgTo, jarray a, int64_t need_a, jarray b, int64_t need_b) {
    const int64_t la = array_length(env, a), lb = array_length(env, b);
    return require(env, need_a >= 0 && need_b >= 0 && la >= need_a && lb >= need_b, what,
                   "images up to %d need %lld and %lld values, the arrays hold %lld and %lld", imgTo, static_cast<long long>(need_a),
                   static_cast<long long>(need_b), static_cast<long long>(la), static_cast<long long>(lb));
}

// A layout conversion of images [imgFrom, imgTo) of c x hw values each from array a to array b: sizes >= 0, the
// range inside [0, 2^31), and both arrays holding every image up to imgTo.
static inline bool conversion_ok(JNIEnv* env, const char* what, jint imgFrom, jint imgTo, jint c, jint hw, jarray a, jarray b) {
    if (!require(env, c >= 0 && hw >= 0, what, "c %d and hw %d must be >= 0", c, hw)) return false;
    if (!range_ok(env, what, imgFrom, imgTo, INT32_MAX)) return false;
    const int64_t need = product(imgTo, c, hw);
    return arrays_hold(env, what, imgTo, a, need, b, need);
}

// Whether this CPU runs AVX-512F: the fp32 kernels' entries refuse to run without it (their Java side asks first).
static inline bool cpu_has_avx512f() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

}  // namespace nnc

#endif
