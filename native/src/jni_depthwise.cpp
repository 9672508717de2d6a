// JNI entry point of dev.nncompress.backend.cpu.NativeDepthwise: the fp32 depthwise conv forward
// (depthwise_f32.h) on CpuTensor off-heap blocks passed by address, each with its length in floats.
// The arguments are checked once per call before any memory is touched (jni_checks.h).
#include <jni.h>

#include <cstdint>

#include "depthwise_f32.h"
#include "gemm_s8.h"
#include "jni_checks.h"
#include "jni_scratch.h"

namespace {

enum DwVariant : int { kDwScalar = 0, kDwAvx2 = 1, kDwAvx512 = 2 };

bool cpu_has(int variant) {
    __builtin_cpu_init();
    switch (variant) {
        case kDwScalar: return true;
        case kDwAvx2: return __builtin_cpu_supports("avx2");
        case kDwAvx512: return __builtin_cpu_supports("avx512f");
        default: return false;
    }
}

using nnc::ptr;

// Per-thread scratch (the phase planes and the accumulator grid), kept between calls.
thread_local nnc::FloatScratch scratch;

}  // namespace

extern "C" {

JNIEXPORT jint JNICALL Java_dev_nncompress_backend_cpu_NativeDepthwise_supportedVariants(JNIEnv*, jclass) {
    jint mask = 0;
    for (int v = kDwScalar; v <= kDwAvx512; v++)
        if (cpu_has(v)) mask |= 1 << v;
    return mask;
}

// Planes [from, to) in channel-major order (plane = channel * n + image) of y [n, c*mult, oh, ow] =
// depthwise(x [n, c, h, w], w [c*mult, 1, kh, kw]) + bias; shape = {n, c, h, w, mult, kh, kw, sh, sw, pt, pl,
// pb, pr, dh, dw, oh, ow}; *_len: floats in each block (the whole tensors: a channel's planes span every image);
// bias 0 = none.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeDepthwise_forward(JNIEnv* env, jclass, jint variant, jlong x, jlong x_len, jlong w,
                                                                               jlong w_len, jlong bias, jlong bias_len, jlong y, jlong y_len,
                                                                               jintArray shape, jint from, jint to) {
    const char* what = "depthwise conv";
    if (!nnc::require(env, variant >= kDwScalar && variant <= kDwAvx512 && cpu_has(variant), what, "variant %d is not one this CPU runs", variant))
        return;
    if (!nnc::require(env, nnc::array_length(env, shape) >= 17, what, "shape needs 17 entries")) return;
    jint v[17];
    env->GetIntArrayRegion(shape, 0, 17, v);
    const nnc::DwShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16]};
    if (!nnc::require(env, s.n >= 1 && s.c >= 1 && s.mult >= 1 && nnc::axis_ok(s.h, s.kh, s.sh, s.pt, s.pb, s.dh, s.oh) &&
                               nnc::axis_ok(s.w, s.kw, s.sw, s.pl, s.pr, s.dw, s.ow),
                      what, "inconsistent geometry: n %d, c %d x %d, input %dx%d, kernel %dx%d, stride %dx%d, pads %d %d %d %d, dilation %dx%d, output %dx%d",
                      s.n, s.c, s.mult, s.h, s.w, s.kh, s.kw, s.sh, s.sw, s.pt, s.pl, s.pb, s.pr, s.dh, s.dw, s.oh, s.ow))
        return;
    if (!nnc::require(env, static_cast<int64_t>(s.kh) * s.kw <= nnc::kDwMaxTaps, what, "kernel %dx%d has more than %d taps", s.kh, s.kw, nnc::kDwMaxTaps))
        return;
    if (!nnc::range_ok(env, what, from, to, nnc::product(s.n, s.c))) return;
    const int64_t o = nnc::product(s.c, s.mult), kk = nnc::product(s.kh, s.kw);
    const int64_t x_need = nnc::product(s.n, s.c, s.h, s.w), y_need = nnc::product(s.n, o, s.oh, s.ow), w_need = nnc::product(o, kk);
    if (!nnc::require(env, x != 0 && y != 0 && w != 0 && x_need >= 0 && y_need >= 0 && w_need >= 0 && x_need <= x_len && y_need <= y_len &&
                               w_need <= w_len && (bias == 0 || bias_len >= o),
                      what, "the call needs %lld input, %lld output, %lld weight and %lld bias floats; the blocks hold %lld, %lld, %lld, %lld",
                      static_cast<long long>(x_need), static_cast<long long>(y_need), static_cast<long long>(w_need),
                      static_cast<long long>(bias == 0 ? 0 : o), static_cast<long long>(x_len), static_cast<long long>(y_len),
                      static_cast<long long>(w_len), static_cast<long long>(bias_len)))
        return;
    const nnc::DwLayout l = nnc::dw_layout(s);
    // the grid of a plane is indexed in int64 but scratch is one allocation: keep it far from size_t overflow
    if (!nnc::require(env, l.floats > 0 && l.floats < (INT64_C(1) << 40), what, "plane too large: %lld floats of scratch", static_cast<long long>(l.floats)))
        return;
    float* buf = scratch.get(l.floats);
    if (buf == nullptr) {
        jclass c = env->FindClass("java/lang/OutOfMemoryError");
        if (c != nullptr) env->ThrowNew(c, "depthwise conv: no native memory for the phase planes");
        return;
    }
    const float* b = bias == 0 ? nullptr : ptr<const float>(bias);
    switch (variant) {
        case kDwAvx512: nnc::depthwise_f32_avx512(ptr<const float>(x), ptr<const float>(w), b, ptr<float>(y), s, from, to, buf); break;
        case kDwAvx2: nnc::depthwise_f32_avx2(ptr<const float>(x), ptr<const float>(w), b, ptr<float>(y), s, from, to, buf); break;
        default: nnc::depthwise_f32_scalar(ptr<const float>(x), ptr<const float>(w), b, ptr<float>(y), s, from, to, buf); break;
    }
}

}  // extern "C"
