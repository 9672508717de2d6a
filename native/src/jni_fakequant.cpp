// JNI entry points of dev.nncompress.backend.cpu.NativeFakeQuant: per-tensor fake quantisation to int8 and its
// straight-through backward (fakequant_f32.h) on CpuTensor off-heap blocks passed by address, each with its length in
// floats, and the mask as a Java byte[] (one byte per element). The arguments are checked once per call before any
// memory is touched (jni_checks.h). The scalar variant is the Java twin's loop, written here.
#include <jni.h>

#include <cmath>
#include <cstdint>

#include "fakequant_f32.h"
#include "jni_checks.h"
#include "jni_scratch.h"

namespace nnc {

void fake_quantize_s8_scalar(const float* x, float* y, uint8_t* mask, int64_t n, float scale, float zero_point) {
    for (int64_t i = 0; i < n; i++) {
        const float v = __builtin_rintf(x[i] / scale) + zero_point;
        mask[i] = v >= -128.0f && v <= 127.0f ? 1 : 0;
        const float lo = v >= -128.0f ? v : -128.0f;
        y[i] = ((lo <= 127.0f ? lo : 127.0f) - zero_point) * scale;
    }
}

void fake_quantize_backward_scalar(const float* g, const uint8_t* mask, float* dx, int64_t n) {
    for (int64_t i = 0; i < n; i++) dx[i] = mask[i] != 0 ? g[i] : 0.0f;
}

bool finite_min_max_scalar(const float* x, int64_t n, float* lo, float* hi) {
    float mn = __builtin_inff(), mx = -__builtin_inff();
    for (int64_t i = 0; i < n; i++) {
        if (!std::isfinite(x[i])) return false;
        if (x[i] < mn) mn = x[i];
        if (x[i] > mx) mx = x[i];
    }
    *lo = mn;
    *hi = mx;
    return true;
}

}  // namespace nnc

namespace {

// An extreme that is zero gets the sign of the first zero in x, as the Java scan (x < lo, x > hi) keeps the first it
// meets; the vector reductions may pick either sign.
void zero_signs(const float* x, int64_t n, float* lo, float* hi) {
    if (*lo != 0.0f && *hi != 0.0f) return;
    for (int64_t i = 0; i < n; i++) {
        if (x[i] == 0.0f) {
            if (*lo == 0.0f) *lo = x[i];
            if (*hi == 0.0f) *hi = x[i];
            return;
        }
    }
}

enum FqVariant : int { kFqScalar = 0, kFqAvx512 = 2 };

bool cpu_has(int variant) {
    __builtin_cpu_init();
    switch (variant) {
        case kFqScalar: return true;
        case kFqAvx512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
        default: return false;
    }
}

using nnc::ptr;

// Elements [from, to) of blocks a (a_len floats) and b (b_len floats) and of mask: the range inside all three.
bool blocks_ok(JNIEnv* env, const char* what, jint variant, jlong a, jlong a_len, jlong b, jlong b_len, jbyteArray mask, jint from, jint to) {
    if (!nnc::require(env, (variant == kFqScalar || variant == kFqAvx512) && cpu_has(variant), what, "variant %d is not one this CPU runs", variant))
        return false;
    if (!nnc::require(env, a != 0 && b != 0 && mask != nullptr, what, "null block or mask")) return false;
    const int64_t m = nnc::array_length(env, mask);
    return nnc::range_ok(env, what, from, to, a_len < b_len ? (a_len < m ? a_len : m) : (b_len < m ? b_len : m));
}

}  // namespace

extern "C" {

JNIEXPORT jint JNICALL Java_dev_nncompress_backend_cpu_NativeFakeQuant_supportedVariants(JNIEnv*, jclass) {
    return (cpu_has(kFqScalar) ? 1 << kFqScalar : 0) | (cpu_has(kFqAvx512) ? 1 << kFqAvx512 : 0);
}

// y[from, to) and mask[from, to) from x[from, to) with one scale and zero point (scale > 0 and finite, zero point an integer
// in [-128, 127], as QParams holds them).
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeFakeQuant_forward(JNIEnv* env, jclass, jint variant, jlong x, jlong x_len, jlong y,
                                                                              jlong y_len, jbyteArray mask, jint from, jint to, jfloat scale,
                                                                              jfloat zero_point) {
    const char* what = "fake quantize";
    if (!blocks_ok(env, what, variant, x, x_len, y, y_len, mask, from, to)) return;
    if (!nnc::require(env, scale > 0 && std::isfinite(scale) && zero_point >= -128 && zero_point <= 127 && zero_point == std::floor(zero_point),
                      what, "scale %g and zero point %g: need scale > 0, finite, and an integer zero point in [-128, 127]",
                      static_cast<double>(scale), static_cast<double>(zero_point)))
        return;
    auto* m = static_cast<uint8_t*>(env->GetPrimitiveArrayCritical(mask, nullptr));
    if (m == nullptr) return;  // OutOfMemoryError pending
    const int64_t n = static_cast<int64_t>(to) - from;
    if (variant == kFqAvx512) nnc::fake_quantize_s8_avx512(ptr<const float>(x) + from, ptr<float>(y) + from, m + from, n, scale, zero_point);
    else nnc::fake_quantize_s8_scalar(ptr<const float>(x) + from, ptr<float>(y) + from, m + from, n, scale, zero_point);
    env->ReleasePrimitiveArrayCritical(mask, m, 0);
}

// out = {min, max} of x[0, length); false when a value is NaN or infinite (out untouched).
JNIEXPORT jboolean JNICALL Java_dev_nncompress_backend_cpu_NativeFakeQuant_minMax(JNIEnv* env, jclass, jint variant, jlong x, jlong length,
                                                                                 jfloatArray out) {
    const char* what = "min max";
    if (!nnc::require(env, (variant == kFqScalar || variant == kFqAvx512) && cpu_has(variant), what, "variant %d is not one this CPU runs", variant))
        return JNI_FALSE;
    if (!nnc::require(env, x != 0 && length >= 1 && nnc::array_length(env, out) >= 2, what, "need a block of at least one float and out[2]"))
        return JNI_FALSE;
    const float* v = ptr<const float>(x);
    float lo, hi;
    const bool ok = variant == kFqAvx512 ? nnc::finite_min_max_avx512(v, length, &lo, &hi) : nnc::finite_min_max_scalar(v, length, &lo, &hi);
    if (!ok) return JNI_FALSE;
    zero_signs(v, length, &lo, &hi);
    const jfloat r[2] = {lo, hi};
    env->SetFloatArrayRegion(out, 0, 2, r);
    return JNI_TRUE;
}

// dx[from, to) = g where mask is 1, +0 where it is 0.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeFakeQuant_backward(JNIEnv* env, jclass, jint variant, jlong g, jlong g_len, jlong dx,
                                                                               jlong dx_len, jbyteArray mask, jint from, jint to) {
    const char* what = "fake quantize backward";
    if (!blocks_ok(env, what, variant, g, g_len, dx, dx_len, mask, from, to)) return;
    auto* m = static_cast<uint8_t*>(env->GetPrimitiveArrayCritical(mask, nullptr));
    if (m == nullptr) return;
    const int64_t n = static_cast<int64_t>(to) - from;
    if (variant == kFqAvx512) nnc::fake_quantize_backward_avx512(ptr<const float>(g) + from, m + from, ptr<float>(dx) + from, n);
    else nnc::fake_quantize_backward_scalar(ptr<const float>(g) + from, m + from, ptr<float>(dx) + from, n);
    env->ReleasePrimitiveArrayCritical(mask, m, JNI_ABORT);  // read only
}

}  // extern "C"
