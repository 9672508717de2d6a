// JNI entry points of dev.nncompress.backend.cpu.NativeConvStack: the fp32 conv stack (convstack_f32.h) on CpuTensor
// off-heap blocks passed by address, each with its length in floats. Every stage's geometry, the chaining of one
// stage's output into the next stage's input, and every block's length are checked once per call before any
// memory is touched (jni_checks.h).
#include <jni.h>

#include <cstdint>

#include "convstack_f32.h"
#include "gemm_s8.h"
#include "jni_checks.h"
#include "jni_scratch.h"

namespace {

using nnc::ptr;

// Per-thread scratch (padded inputs, conv outputs, packed weights), kept between calls.
thread_local nnc::FloatScratch scratch;

// One stage: a plain conv axis per direction (nnc::axis_ok), o >= 1, the pool's window inside the conv output
// (stride >= 1, no padding, floor) or none, and its input equal to the previous stage's output.
bool stage_ok(const nnc::ConvStage& s, const nnc::ConvStage* prev) {
    if (s.c < 1 || s.o < 1 || s.o > (1 << 20) || s.c > (1 << 20) || (s.relu != 0 && s.relu != 1)) return false;
    if (!nnc::axis_ok(s.h, s.kh, s.sh, s.pt, s.pb, s.dh, s.oh) || !nnc::axis_ok(s.w, s.kw, s.sw, s.pl, s.pr, s.dw, s.ow)) return false;
    if (static_cast<int64_t>(s.kh) * s.kw > nnc::kMaxTaps) return false;
    if (s.pkh == 0) {
        if (s.pkw != 0 || s.ph != s.oh || s.pw != s.ow) return false;
    } else if (!nnc::axis_ok(s.oh, s.pkh, s.psh, 0, 0, 1, s.ph) || !nnc::axis_ok(s.ow, s.pkw, s.psw, 0, 0, 1, s.pw)) {
        return false;
    }
    return prev == nullptr || (s.c == prev->o && s.h == prev->ph && s.w == prev->pw);
}

}  // namespace

extern "C" {

JNIEXPORT jboolean JNICALL Java_dev_nncompress_backend_cpu_NativeConvStack_supported(JNIEnv*, jclass) { return nnc::cpu_has_avx512f() ? JNI_TRUE : JNI_FALSE; }

// Winograd for the 3x3 stride-1 stages on or off (convstack_f32.h); stacks planned after the call see it.
// (Both compiled for AVX-512F, so neither runs without it.)
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeConvStack_winograd(JNIEnv*, jclass, jboolean on) {
    if (nnc::cpu_has_avx512f()) nnc::winograd_enable(on == JNI_TRUE);
}

// The Winograd output tile m a stage of nnc::kStageInts ints would run with now (0: the direct conv); -1 when the
// array is not one stage.
JNIEXPORT jint JNICALL Java_dev_nncompress_backend_cpu_NativeConvStack_winogradTile(JNIEnv* env, jclass, jintArray stage) {
    if (nnc::array_length(env, stage) != nnc::kStageInts) return -1;
    if (!nnc::cpu_has_avx512f()) return 0;
    jint v[nnc::kStageInts];
    env->GetIntArrayRegion(stage, 0, nnc::kStageInts, v);
    const nnc::ConvStage s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15],
                           v[16], v[17], v[18], v[19], v[20], v[21], v[22], 0};
    return nnc::winograd_tile(s);
}

// Images [from, to) of y [n, o, ph, pw] = the stack over x [n, c, h, w] (NCHW both); geometry: nnc::kStageInts ints
// per stage (convstack_f32.h's order); weights/bias: per stage the address and length in floats of its OIHW weights and
// its bias (address 0: none). idx (address 0: none; training forward): y-shaped, gets the last stage's pool argmax,
// which needs that stage to have a ReLU and a 2x2 stride-2 pool.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeConvStack_forward(JNIEnv* env, jclass, jlong x, jlong x_len, jlong y, jlong y_len,
                                                                              jlong idx, jlong idx_len, jint n, jintArray geometry, jlongArray weights,
                                                                              jlongArray weight_lens, jlongArray biases, jlongArray bias_lens, jint from,
                                                                              jint to) {
    const char* what = "conv stack";
    if (!nnc::require(env, nnc::cpu_has_avx512f(), what, "this CPU has no AVX-512F")) return;
    const int64_t geo_len = nnc::array_length(env, geometry);
    if (!nnc::require(env, geo_len > 0 && geo_len % nnc::kStageInts == 0 && geo_len / nnc::kStageInts <= nnc::kMaxStages, what,
                      "geometry of %lld ints is not 1 to %d stages of %d", static_cast<long long>(geo_len), nnc::kMaxStages, nnc::kStageInts))
        return;
    const int count = static_cast<int>(geo_len / nnc::kStageInts);
    if (!nnc::require(env, nnc::array_length(env, weights) == count && nnc::array_length(env, weight_lens) == count &&
                               nnc::array_length(env, biases) == count && nnc::array_length(env, bias_lens) == count,
                      what, "weights, their lengths, biases and their lengths need %d entries each", count))
        return;
    jint g[nnc::kStageInts * nnc::kMaxStages];
    env->GetIntArrayRegion(geometry, 0, static_cast<jsize>(geo_len), g);
    jlong wa[nnc::kMaxStages], wl[nnc::kMaxStages], ba[nnc::kMaxStages], bl[nnc::kMaxStages];
    env->GetLongArrayRegion(weights, 0, count, wa);
    env->GetLongArrayRegion(weight_lens, 0, count, wl);
    env->GetLongArrayRegion(biases, 0, count, ba);
    env->GetLongArrayRegion(bias_lens, 0, count, bl);
    nnc::ConvStage st[nnc::kMaxStages];
    const float* w[nnc::kMaxStages];
    const float* b[nnc::kMaxStages];
    for (int i = 0; i < count; i++) {
        const jint* v = g + i * nnc::kStageInts;
        st[i] = nnc::ConvStage{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15],
                               v[16], v[17], v[18], v[19], v[20], v[21], v[22], 0};
        const nnc::ConvStage& s = st[i];
        if (!nnc::require(env, stage_ok(s, i == 0 ? nullptr : &st[i - 1]), what,
                          "stage %d: inconsistent geometry (c %d, %dx%d, o %d, %dx%d kernel, stride %dx%d, dilation %dx%d, pads %d %d %d %d, "
                          "output %dx%d, pool %dx%d/%dx%d to %dx%d) or not the previous stage's output",
                          i, s.c, s.h, s.w, s.o, s.kh, s.kw, s.sh, s.sw, s.dh, s.dw, s.pt, s.pl, s.pb, s.pr, s.oh, s.ow, s.pkh, s.pkw, s.psh, s.psw,
                          s.ph, s.pw))
            return;
        const int64_t w_need = nnc::product(s.o, s.c, s.kh, s.kw);
        if (!nnc::require(env, wa[i] != 0 && w_need > 0 && w_need <= wl[i] && (ba[i] == 0 || bl[i] >= s.o), what,
                          "stage %d needs %lld weight and %d bias floats; the blocks hold %lld and %lld", i, static_cast<long long>(w_need),
                          ba[i] == 0 ? 0 : s.o, static_cast<long long>(wl[i]), static_cast<long long>(bl[i])))
            return;
        w[i] = ptr<const float>(wa[i]);
        b[i] = ba[i] == 0 ? nullptr : ptr<const float>(ba[i]);
    }
    const nnc::ConvStage& first = st[0];
    const nnc::ConvStage& last = st[count - 1];
    const int64_t x_need = nnc::product(n, first.c, first.h, first.w), y_need = nnc::product(n, last.o, last.ph, last.pw);
    if (!nnc::require(env, n >= 1 && x != 0 && y != 0 && x_need > 0 && y_need > 0 && x_need <= x_len && y_need <= y_len, what,
                      "%d images need %lld input and %lld output floats; the blocks hold %lld and %lld", n, static_cast<long long>(x_need),
                      static_cast<long long>(y_need), static_cast<long long>(x_len), static_cast<long long>(y_len)))
        return;
    if (!nnc::require(env, idx == 0 || (idx_len >= y_need && last.relu == 1 && last.pkh == 2 && last.pkw == 2 && last.psh == 2 && last.psw == 2),
                      what, "an argmax needs %lld floats (the block holds %lld) and a last stage with ReLU and a 2x2 stride-2 pool",
                      static_cast<long long>(y_need), static_cast<long long>(idx_len)))
        return;
    if (!nnc::range_ok(env, what, from, to, n)) return;
    nnc::StackLayout layout{};
    if (!nnc::require(env, nnc::convstack_layout(st, count, &layout), what, "buffers for one image pass 2^40 floats")) return;
    float* buf = scratch.get(layout.floats);
    if (buf == nullptr) {
        jclass c = env->FindClass("java/lang/OutOfMemoryError");
        if (c != nullptr) env->ThrowNew(c, "conv stack: no native memory for the per-image buffers");
        return;
    }
    nnc::convstack_f32_avx512(ptr<const float>(x), ptr<float>(y), st, count, w, b, from, to, buf, layout, idx == 0 ? nullptr : ptr<float>(idx));
}

}  // extern "C"
