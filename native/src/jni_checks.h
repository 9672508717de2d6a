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

}  // namespace nnc

#endif
