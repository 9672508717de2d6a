// JNI entry points of dev.nncompress.backend.cpu.NativeConvGrad: a stride-1 conv's weight, bias and input gradients
// (convgrad_f32.h) on CpuTensor off-heap blocks passed by address, each with its length in floats. The geometry and
// every block's length are checked once per call before any memory is touched (jni_checks.h).
#include <jni.h>

#include <cstdint>

#include "convgrad_f32.h"
#include "jni_checks.h"
#include "jni_scratch.h"

namespace {

using nnc::ptr;

// Per-thread scratch (the block of bordered copies), kept between calls.
thread_local nnc::FloatScratch scratch;

// Reads and checks the geometry (nnc::kGradInts ints: n, then ConvGrad's fields with the strides after kw): each axis a
// plain conv axis (nnc::axis_ok) with stride 1, c and o in 1..2^20, at most 1024 taps. False with the exception pending.
bool geometry(JNIEnv* env, const char* what, jintArray geo, int* n, nnc::ConvGrad* g) {
    if (!nnc::require(env, nnc::array_length(env, geo) == nnc::kGradInts, what, "geometry needs %d ints", nnc::kGradInts)) return false;
    jint v[nnc::kGradInts];
    env->GetIntArrayRegion(geo, 0, nnc::kGradInts, v);
    *n = v[0];
    *g = nnc::ConvGrad{v[1], v[2], v[3], v[4], v[5], v[6], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16]};
    const int sh = v[7], sw = v[8];
    const bool ok = *n >= 1 && g->c >= 1 && g->o >= 1 && g->c <= (1 << 20) && g->o <= (1 << 20) && sh == 1 && sw == 1 &&
                    static_cast<int64_t>(g->kh) * g->kw <= 1024 && nnc::axis_ok(g->h, g->kh, sh, g->pt, g->pb, g->dh, g->oh) &&
                    nnc::axis_ok(g->w, g->kw, sw, g->pl, g->pr, g->dw, g->ow);
    return nnc::require(env, ok, what,
                        "inconsistent geometry (n %d, c %d, %dx%d, o %d, %dx%d kernel, stride %dx%d (1 only), dilation %dx%d, pads %d %d %d %d, "
                        "output %dx%d)",
                        *n, g->c, g->h, g->w, g->o, g->kh, g->kw, sh, sw, g->dh, g->dw, g->pt, g->pl, g->pb, g->pr, g->oh, g->ow);
}

}  // namespace

extern "C" {

JNIEXPORT jboolean JNICALL Java_dev_nncompress_backend_cpu_NativeConvGrad_supported(JNIEnv*, jclass) { return nnc::cpu_has_avx512f() ? JNI_TRUE : JNI_FALSE; }

// acc (one part: o * c * kh * kw weight sums, then o bias sums) = the sums over images [from, to) of x [n, c, h, w] and
// dy [n, o, oh, ow], NCHW both.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeConvGrad_weightGrad(JNIEnv* env, jclass, jlong x, jlong x_len, jlong dy, jlong dy_len,
                                                                                jintArray geo, jlong acc, jlong acc_len, jint from, jint to) {
    const char* what = "conv weight gradient";
    if (!nnc::require(env, nnc::cpu_has_avx512f(), what, "this CPU has no AVX-512F")) return;
    int n;
    nnc::ConvGrad g;
    if (!geometry(env, what, geo, &n, &g)) return;
    const int64_t x_need = nnc::product(n, g.c, g.h, g.w), dy_need = nnc::product(n, g.o, g.oh, g.ow);
    const int64_t acc_need = nnc::product(g.o, g.c, g.kh, g.kw) < 0 ? -1 : nnc::convgrad_acc_floats(g);
    if (!nnc::require(env, x != 0 && dy != 0 && acc != 0 && x_need > 0 && dy_need > 0 && acc_need > 0 && x_need <= x_len && dy_need <= dy_len &&
                               acc_need <= acc_len,
                      what, "%d images need %lld input, %lld gradient and %lld accumulator floats; the blocks hold %lld, %lld and %lld", n,
                      static_cast<long long>(x_need), static_cast<long long>(dy_need), static_cast<long long>(acc_need),
                      static_cast<long long>(x_len), static_cast<long long>(dy_len), static_cast<long long>(acc_len)))
        return;
    if (!nnc::range_ok(env, what, from, to, n)) return;
    float* buf = scratch.get(nnc::convgrad_scratch_floats(g, to - from < 1 ? 1 : to - from));
    if (buf == nullptr) {
        jclass c = env->FindClass("java/lang/OutOfMemoryError");
        if (c != nullptr) env->ThrowNew(c, "conv weight gradient: no native memory for the per-thread buffers");
        return;
    }
    nnc::convgrad_f32_avx512(ptr<const float>(x), ptr<const float>(dy), g, from, to, ptr<float>(acc), buf);
}

// Images [from, to) of dx [n, c, h, w] = the input gradient of dy [n, o, oh, ow] through w [o, c, kh, kw]; mask (address 0:
// none) x [n, c, h, w], dx zeroed where x <= 0.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeConvGrad_inputGrad(JNIEnv* env, jclass, jlong dy, jlong dy_len, jlong w, jlong w_len,
                                                                               jlong mask, jlong mask_len, jintArray geo, jlong dx, jlong dx_len, jint from,
                                                                               jint to) {
    const char* what = "conv input gradient";
    if (!nnc::require(env, nnc::cpu_has_avx512f(), what, "this CPU has no AVX-512F")) return;
    int n;
    nnc::ConvGrad g;
    if (!geometry(env, what, geo, &n, &g)) return;
    const int64_t dy_need = nnc::product(n, g.o, g.oh, g.ow), w_need = nnc::product(g.o, g.c, g.kh, g.kw), dx_need = nnc::product(n, g.c, g.h, g.w);
    if (!nnc::require(env, dy != 0 && w != 0 && dx != 0 && dy_need > 0 && w_need > 0 && dx_need > 0 && dy_need <= dy_len && w_need <= w_len &&
                               dx_need <= dx_len && (mask == 0 || dx_need <= mask_len),
                      what, "%d images need %lld gradient, %lld weight and %lld input floats; the blocks hold %lld, %lld, %lld (mask %lld)", n,
                      static_cast<long long>(dy_need), static_cast<long long>(w_need), static_cast<long long>(dx_need), static_cast<long long>(dy_len),
                      static_cast<long long>(w_len), static_cast<long long>(dx_len), static_cast<long long>(mask == 0 ? 0 : mask_len)))
        return;
    if (!nnc::range_ok(env, what, from, to, n)) return;
    float* buf = scratch.get(nnc::convgrad_input_scratch_floats(g));
    if (buf == nullptr) {
        jclass c = env->FindClass("java/lang/OutOfMemoryError");
        if (c != nullptr) env->ThrowNew(c, "conv input gradient: no native memory for the per-thread buffers");
        return;
    }
    nnc::convgrad_input_f32_avx512(ptr<const float>(dy), ptr<const float>(w), mask == 0 ? nullptr : ptr<const float>(mask), ptr<float>(dx), g, from,
                                   to, buf);
}

// dw [o, c, kh, kw] and db [o] (address 0: not wanted) = the sums of `parts` accumulators laid end to end in acc.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeConvGrad_reduce(JNIEnv* env, jclass, jlong acc, jlong acc_len, jint parts, jintArray geo,
                                                                            jlong dw, jlong dw_len, jlong db, jlong db_len) {
    const char* what = "conv weight gradient reduce";
    int n;
    nnc::ConvGrad g;
    if (!geometry(env, what, geo, &n, &g)) return;
    const int64_t weights = nnc::product(g.o, g.c, g.kh, g.kw);
    const int64_t acc_need = weights < 0 || parts < 1 || parts > 4096 ? -1 : nnc::convgrad_acc_floats(g) * parts;
    if (!nnc::require(env, acc != 0 && dw != 0 && acc_need > 0 && acc_need <= acc_len && weights <= dw_len && (db == 0 || g.o <= db_len), what,
                      "%d parts need %lld accumulator floats, %lld weight and %d bias floats; the blocks hold %lld, %lld and %lld", parts,
                      static_cast<long long>(acc_need), static_cast<long long>(weights), db == 0 ? 0 : g.o, static_cast<long long>(acc_len),
                      static_cast<long long>(dw_len), static_cast<long long>(db_len)))
        return;
    nnc::convgrad_reduce(ptr<const float>(acc), parts, g, ptr<float>(dw), db == 0 ? nullptr : ptr<float>(db));
}

}  // extern "C"
