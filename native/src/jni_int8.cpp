// JNI entry points of dev.nncompress.backend.cpu.NativeInt8 and the run-time dispatch by CPU feature
// (this file is compiled for generic x86-64, so the library loads on any x86-64 CPU; the AVX2 and
// AVX-512 code is reached only after __builtin_cpu_supports said yes).
//
// Arrays are pinned with GetPrimitiveArrayCritical only around the kernels themselves; everything
// that calls back into the JVM (small per-column copies, exceptions) happens outside those sections.
// Every entry point checks its arguments once per call, before pinning anything (jni_checks.h): sizes
// consistent with each other and with the arrays' lengths, so that no kernel reads or writes past them.
#include <jni.h>

#include <cstring>
#include <new>

#include "gemm_s8.h"
#include "im2col_s8.h"
#include "jni_checks.h"
#include "moves_s8.h"

namespace {

using nnc::PackedB;

bool cpu_has(int variant) {
    __builtin_cpu_init();
    switch (variant) {
        case nnc::kScalar: return true;
        case nnc::kAvx2: return __builtin_cpu_supports("avx2");
        case nnc::kAvx512Vnni:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
        default: return false;
    }
}

void throw_java(JNIEnv* env, const char* cls, const char* msg) {
    jclass c = env->FindClass(cls);
    if (c != nullptr) env->ThrowNew(c, msg);
}

void free_packed(PackedB* p) {
    if (p == nullptr) return;
    nnc::free_aligned(p->data);
    nnc::free_aligned(p->variant_corr);
    nnc::free_aligned(p->plain);
    delete p;
}

// A pinned Java array, released (without copy-back when only read) when it goes out of scope.
class Pinned {
public:
    Pinned(JNIEnv* env, jarray array, bool read_only)
        : env_(env), array_(array), read_only_(read_only),
          data_(array == nullptr ? nullptr : env->GetPrimitiveArrayCritical(array, nullptr)) {}
    ~Pinned() {
        if (data_ != nullptr) env_->ReleasePrimitiveArrayCritical(array_, data_, read_only_ ? JNI_ABORT : 0);
    }
    Pinned(const Pinned&) = delete;
    Pinned& operator=(const Pinned&) = delete;
    void* get() const { return data_; }

private:
    JNIEnv* env_;
    jarray array_;
    bool read_only_;
    void* data_;
};

// Per-call epilogue arrays, padded so that the kernels may load whole vectors.
struct EpilogueArrays {
    int32_t* corr = nullptr;
    float* scale = nullptr;
    float* bias = nullptr;
    ~EpilogueArrays() {
        nnc::free_aligned(corr);
        nnc::free_aligned(scale);
        nnc::free_aligned(bias);
    }
};

size_t element_bytes(jint mode) { return mode == nnc::kS8 ? 1 : 4; }

// The output array of `mode` (int[] S32, float[] F32, byte[] S8) holding at least `need` elements.
bool output_ok(JNIEnv* env, const char* what, jint mode, jarray out, int64_t need) {
    if (!nnc::require(env, mode == nnc::kS32 || mode == nnc::kF32 || mode == nnc::kS8, what, "unknown mode %d", mode)) return false;
    const char* cls = mode == nnc::kS32 ? "[I" : mode == nnc::kF32 ? "[F" : "[B";
    jclass c = env->FindClass(cls);
    if (c == nullptr) return false;  // NoClassDefFoundError pending
    const bool right_type = out != nullptr && env->IsInstanceOf(out, c);
    if (!nnc::require(env, right_type, what, "output is not the %s array of mode %d", cls, mode)) return false;
    const int64_t have = nnc::array_length(env, out);
    return nnc::require(env, need >= 0 && have >= need, what, "output holds %lld elements, needs %lld", static_cast<long long>(have), static_cast<long long>(need));
}

// An int8 conv's ConvShape from the Java array, checked: sizes >= 1, each axis consistent (0 <= pad <
// kernel, output = (in + 2 pad - k) / stride + 1 in 64-bit), a padded input row of c channels well
// inside int (im2col lays one out in scratch memory), x holding n images.
bool conv_shape(JNIEnv* env, const char* what, jintArray shape, jbyteArray x, nnc::ConvShape& cs) {
    if (!nnc::require(env, nnc::array_length(env, shape) >= 12, what, "shape needs 12 entries")) return false;
    jint s[12];
    env->GetIntArrayRegion(shape, 0, 12, s);
    cs = nnc::ConvShape{s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11]};
    const bool ok = cs.n >= 1 && cs.c >= 1 && nnc::window_ok(cs.h, cs.kh, cs.stride_h, cs.pad_h, cs.oh) &&
                    nnc::window_ok(cs.w, cs.kw, cs.stride_w, cs.pad_w, cs.ow) &&
                    nnc::product(cs.w + 2 * static_cast<int64_t>(cs.pad_w), cs.c) <= INT32_MAX - 64;
    if (!nnc::require(env, ok, what, "inconsistent geometry: n %d, c %d, input %dx%d, kernel %dx%d, stride %dx%d, pad %dx%d, output %dx%d",
                      cs.n, cs.c, cs.h, cs.w, cs.kh, cs.kw, cs.stride_h, cs.stride_w, cs.pad_h, cs.pad_w, cs.oh, cs.ow))
        return false;
    const int64_t need = nnc::product(cs.n, cs.h, cs.w, cs.c), have = nnc::array_length(env, x);
    return nnc::require(env, need >= 0 && have >= need, what, "input holds %lld bytes, [n, h, w, c] needs %lld", static_cast<long long>(have), static_cast<long long>(need));
}

// The checks both conv entry points start with: packed weights present, a consistent geometry (conv_shape)
// and a window of exactly the weights' k = kh*kw*c. The weights, or null with a Java exception pending.
const PackedB* conv_weights(JNIEnv* env, const char* what, jlong handle, jintArray shape, jbyteArray x, nnc::ConvShape& cs) {
    if (!nnc::require(env, handle != 0, what, "no packed weights")) return nullptr;
    const PackedB* b = reinterpret_cast<const PackedB*>(handle);
    if (!conv_shape(env, what, shape, x, cs)) return nullptr;
    if (!nnc::require(env, nnc::product(cs.kh, cs.kw, cs.c) == b->k, what, "weights have k = %d, the window kh*kw*c = %lld", b->k,
                      static_cast<long long>(nnc::product(cs.kh, cs.kw, cs.c))))
        return nullptr;
    return b;
}

// Fills `arrays` and `e` for one call from the Java epilogue; false with a Java exception pending.
// Checks first: a known mode, n scales (and n biases when given) unless the mode is S32, n weight
// sums when zpA != 0.
bool prepare_epilogue(JNIEnv* env, const PackedB& b, jint mode, jfloatArray scale, jfloatArray bias, jboolean relu,
                      jfloat outScale, jint outZp, jint zpA, jintArray wsum, EpilogueArrays& arrays, nnc::Epilogue& e) {
    const char* what = "int8 epilogue";
    if (!nnc::require(env, mode == nnc::kS32 || mode == nnc::kF32 || mode == nnc::kS8, what, "unknown mode %d", mode)) return false;
    if (!nnc::require(env, mode == nnc::kS32 || (nnc::array_length(env, scale) >= b.n && (bias == nullptr || nnc::array_length(env, bias) >= b.n)),
                      what, "needs %d scales (and biases when given)", b.n))
        return false;
    if (!nnc::require(env, zpA == 0 || nnc::array_length(env, wsum) >= b.n, what, "zero point %d needs %d weight sums", zpA, b.n)) return false;
    const int n = b.n, np = nnc::padded_columns(n);
    arrays.corr = static_cast<int32_t*>(nnc::aligned_bytes(sizeof(int32_t) * static_cast<size_t>(np)));
    if (mode != nnc::kS32) {
        arrays.scale = static_cast<float*>(nnc::aligned_bytes(sizeof(float) * static_cast<size_t>(np)));
        if (bias != nullptr) arrays.bias = static_cast<float*>(nnc::aligned_bytes(sizeof(float) * static_cast<size_t>(np)));
    }
    if (arrays.corr == nullptr || (mode != nnc::kS32 && arrays.scale == nullptr) || (bias != nullptr && mode != nnc::kS32 && arrays.bias == nullptr)) {
        throw_java(env, "java/lang/OutOfMemoryError", "int8 gemm: no native memory for the epilogue");
        return false;
    }
    std::memcpy(arrays.corr, b.variant_corr, sizeof(int32_t) * static_cast<size_t>(np));
    if (zpA != 0) {
        env->GetIntArrayRegion(wsum, 0, n, arrays.corr);  // wsum first, folded in below
        for (int c = 0; c < n; c++) {
            arrays.corr[c] = static_cast<int32_t>(static_cast<uint32_t>(b.variant_corr[c]) +
                                                  static_cast<uint32_t>(zpA) * static_cast<uint32_t>(arrays.corr[c]));
        }
    }
    if (arrays.scale != nullptr) {
        for (int c = n; c < np; c++) arrays.scale[c] = 1.0f;
        env->GetFloatArrayRegion(scale, 0, n, arrays.scale);
    }
    if (arrays.bias != nullptr) {
        for (int c = n; c < np; c++) arrays.bias[c] = 0.0f;
        env->GetFloatArrayRegion(bias, 0, n, arrays.bias);
    }
    if (env->ExceptionCheck()) return false;
    e = nnc::Epilogue{mode, arrays.corr, arrays.scale, arrays.bias, relu == JNI_TRUE, outScale, outZp};
    nnc::prepare_fast_requantize(e, n);
    return true;
}

bool run_gemm(const int8_t* rows, int m, const PackedB& b, const nnc::Epilogue& e, nnc::Output o) {
    switch (b.variant) {
        case nnc::kAvx512Vnni: return nnc::gemm_avx512vnni(rows, m, b, e, o);
        case nnc::kAvx2: return nnc::gemm_avx2(rows, m, b, e, o);
        default: return nnc::gemm_scalar(rows, m, b, e, o);
    }
}

}  // namespace

extern "C" {

JNIEXPORT jint JNICALL Java_dev_nncompress_backend_cpu_NativeInt8_supportedVariants(JNIEnv*, jclass) {
    jint mask = 0;
    for (int v = nnc::kScalar; v <= nnc::kAvx512Vnni; v++)
        if (cpu_has(v)) mask |= 1 << v;
    return mask;
}

JNIEXPORT jlong JNICALL Java_dev_nncompress_backend_cpu_NativeInt8_pack(JNIEnv* env, jclass, jint variant, jbyteArray b,
                                                                        jint n, jint k) {
    if (!cpu_has(variant)) {
        throw_java(env, "java/lang/IllegalArgumentException", "int8 gemm: this CPU cannot run the requested variant");
        return 0;
    }
    if (!nnc::require(env, n >= 1 && k >= 1 && nnc::array_length(env, b) >= nnc::product(n, k), "int8 pack",
                      "B [%d, %d] needs n, k >= 1 and n*k bytes, the array holds %lld", n, k, static_cast<long long>(nnc::array_length(env, b))))
        return 0;
    PackedB* p = new (std::nothrow) PackedB{variant, n, k, nullptr, 0, nullptr, nullptr};
    const int np = nnc::padded_columns(n);
    if (p != nullptr) p->variant_corr = static_cast<int32_t*>(nnc::aligned_bytes(sizeof(int32_t) * static_cast<size_t>(np)));
    if (p != nullptr) p->plain = static_cast<int8_t*>(nnc::aligned_bytes(static_cast<size_t>(n) * static_cast<size_t>(k)));
    if (p == nullptr || p->variant_corr == nullptr || p->plain == nullptr) {
        free_packed(p);
        throw_java(env, "java/lang/OutOfMemoryError", "int8 gemm: no native memory for the packed weights");
        return 0;
    }
    bool ok;
    {
        Pinned pb(env, b, true);
        const int8_t* src = static_cast<const int8_t*>(pb.get());
        if (src == nullptr) {  // the JVM has thrown OutOfMemoryError
            free_packed(p);
            return 0;
        }
        std::memcpy(p->plain, src, static_cast<size_t>(n) * static_cast<size_t>(k));
        switch (variant) {
            case nnc::kAvx512Vnni: ok = nnc::pack_avx512vnni(src, *p); break;
            case nnc::kAvx2: ok = nnc::pack_avx2(src, *p); break;
            default: ok = nnc::pack_scalar(src, *p); break;
        }
        const uint32_t bias = static_cast<uint32_t>(nnc::row_sum_bias(variant));
        for (int c = 0; c < np; c++) {
            uint32_t sum = 0;
            if (c < n)
                for (int i = 0; i < k; i++) sum += static_cast<uint32_t>(static_cast<int32_t>(src[static_cast<size_t>(c) * k + i]));
            p->variant_corr[c] = static_cast<int32_t>(bias * sum);
        }
    }
    if (!ok) {
        free_packed(p);
        throw_java(env, "java/lang/OutOfMemoryError", "int8 gemm: no native memory for the packed weights");
        return 0;
    }
    return reinterpret_cast<jlong>(p);
}

JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeInt8_free(JNIEnv*, jclass, jlong handle) {
    free_packed(reinterpret_cast<PackedB*>(handle));
}


// Rows [rowFrom, rowTo) of out = epilogue(A x B^T); the Java caller has checked every size, and so does this.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeInt8_gemm(JNIEnv* env, jclass, jlong handle, jbyteArray a,
                                                                       jint rowFrom, jint rowTo, jint mode,
                                                                       jfloatArray scale, jfloatArray bias, jboolean relu,
                                                                       jfloat outScale, jint outZp, jint zpA,
                                                                       jintArray wsum, jarray out) {
    const char* what = "int8 gemm";
    if (!nnc::require(env, handle != 0, what, "no packed weights")) return;
    const PackedB& b = *reinterpret_cast<const PackedB*>(handle);
    if (!nnc::range_ok(env, what, rowFrom, rowTo, INT32_MAX)) return;
    if (!nnc::require(env, nnc::array_length(env, a) >= nnc::product(rowTo, b.k), what, "A holds %lld bytes, rows up to %d need %lld",
                      static_cast<long long>(nnc::array_length(env, a)), rowTo, static_cast<long long>(nnc::product(rowTo, b.k))))
        return;
    if (!output_ok(env, what, mode, out, nnc::product(rowTo, b.n))) return;
    EpilogueArrays arrays;
    nnc::Epilogue e;
    if (!prepare_epilogue(env, b, mode, scale, bias, relu, outScale, outZp, zpA, wsum, arrays, e)) return;
    bool ok;
    {
        Pinned pa(env, a, true);
        if (pa.get() == nullptr) return;  // OutOfMemoryError pending
        Pinned po(env, out, false);
        if (po.get() == nullptr) return;
        const int8_t* rows = static_cast<const int8_t*>(pa.get()) + static_cast<size_t>(rowFrom) * static_cast<size_t>(b.k);
        nnc::Output o{static_cast<char*>(po.get()) + static_cast<size_t>(rowFrom) * static_cast<size_t>(b.n) * element_bytes(mode), b.n};
        ok = run_gemm(rows, rowTo - rowFrom, b, e, o);
    }
    if (!ok) throw_java(env, "java/lang/OutOfMemoryError", "int8 gemm: no native memory for packing A");
}

// Output lines [lineFrom, lineTo) of a convolution, im2col fused into the GEMM: a block of lines at a
// time goes through a scratch cols block that stays in L2, never through a whole cols matrix in memory.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeInt8_conv(JNIEnv* env, jclass, jlong handle, jbyteArray x,
                                                                       jintArray shape, jbyte pad, jint lineFrom, jint lineTo,
                                                                       jint mode, jfloatArray scale, jfloatArray bias,
                                                                       jboolean relu, jfloat outScale, jint outZp, jint zpA,
                                                                       jintArray wsum, jarray out) {
    const char* what = "int8 conv";
    nnc::ConvShape cs;
    const PackedB* packed = conv_weights(env, what, handle, shape, x, cs);
    if (packed == nullptr) return;
    const PackedB& b = *packed;
    if (!nnc::range_ok(env, what, lineFrom, lineTo, nnc::product(cs.n, cs.oh))) return;
    if (!output_ok(env, what, mode, out, nnc::product(lineTo, cs.ow, b.n))) return;
    EpilogueArrays arrays;
    nnc::Epilogue e;
    if (!prepare_epilogue(env, b, mode, scale, bias, relu, outScale, outZp, zpA, wsum, arrays, e)) return;
    const size_t line_bytes = static_cast<size_t>(cs.ow) * static_cast<size_t>(b.k);
    const int block = static_cast<int>(nnc::conv_block_lines(line_bytes));
    int8_t* cols = static_cast<int8_t*>(nnc::aligned_bytes(static_cast<size_t>(block) * line_bytes));
    if (cols == nullptr) {
        throw_java(env, "java/lang/OutOfMemoryError", "int8 conv: no native memory for the cols block");
        return;
    }
    bool ok = true;
    {
        Pinned px(env, x, true);
        Pinned po(env, px.get() == nullptr ? nullptr : out, false);  // no JNI call with an exception pending
        if (px.get() != nullptr && po.get() != nullptr) {  // else OutOfMemoryError pending
            const size_t row_out = static_cast<size_t>(b.n) * element_bytes(mode);
            // no im2col: the tiles read the padded image (n > 8), or one input channel's pixels sit in the lanes (n 8)
            const bool in_place = nnc::conv_direct_applies(cs, b);
            const bool c1 = !in_place && b.variant == nnc::kAvx512Vnni && nnc::conv_c1_applies(cs, b, mode);
            nnc::Output first{static_cast<char*>(po.get()) + static_cast<size_t>(lineFrom) * cs.ow * row_out, b.n};
            if (c1) ok = nnc::conv_c1_avx512vnni(static_cast<const int8_t*>(px.get()), cs, pad, b, e, first, lineFrom, lineTo);
            if (in_place) ok = nnc::conv_direct_avx512vnni(static_cast<const int8_t*>(px.get()), cs, pad, b, e, first, lineFrom, lineTo);
            const bool direct = c1 || in_place;
            const bool prepacked = nnc::gemm_prepacked_applies(b);  // im2col writes the VNNI layout itself
            for (int l0 = lineFrom; ok && !direct && l0 < lineTo; l0 += block) {
                const int l1 = nnc::min_int(lineTo, l0 + block);
                if (!nnc::im2col_s8(static_cast<const int8_t*>(px.get()), cs, pad, cols, l0, l1, prepacked ? 0x80 : 0)) {
                    ok = false;
                    break;
                }
                const size_t row0 = static_cast<size_t>(l0) * static_cast<size_t>(cs.ow);
                nnc::Output o{static_cast<char*>(po.get()) + row0 * row_out, b.n};
                if (prepacked) {
                    nnc::gemm_avx512vnni_prepacked(reinterpret_cast<const uint8_t*>(cols), (l1 - l0) * cs.ow, b, e, o);
                } else {
                    ok = run_gemm(cols, (l1 - l0) * cs.ow, b, e, o);
                }
            }
        }
    }
    nnc::free_aligned(cols);
    if (!ok) throw_java(env, "java/lang/OutOfMemoryError", "int8 conv: no native memory for scratch blocks");
}

// Pooled lines [pooledFrom, pooledTo) of max-pool(conv(x)) with the S8 epilogue, the pool's windows tiling the
// conv output (poolKh x poolKw, stride = window, no padding): where conv_pool_applies only (the Java caller
// asks for it on the VNNI variant with n > 8, and this checks again).
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeInt8_convMaxPool(JNIEnv* env, jclass, jlong handle, jbyteArray x,
                                                                              jintArray shape, jbyte pad, jint poolKh, jint poolKw,
                                                                              jint pooledFrom, jint pooledTo, jfloatArray scale,
                                                                              jfloatArray bias, jboolean relu, jfloat outScale, jint outZp,
                                                                              jint zpA, jintArray wsum, jbyteArray out) {
    const char* what = "int8 conv + max-pool";
    nnc::ConvShape cs;
    const PackedB* packed = conv_weights(env, what, handle, shape, x, cs);
    if (packed == nullptr) return;
    const PackedB& b = *packed;
    const nnc::PoolWindow pw{poolKh, poolKw};
    if (!nnc::require(env, cpu_has(b.variant) && nnc::conv_pool_applies(cs, b, nnc::kS8, pw), what,
                      "no fused kernel for pool %dx%d over a %dx%d output of %d channels (variant %d)", poolKh, poolKw, cs.oh, cs.ow,
                      b.n, b.variant))
        return;
    const int64_t poh = cs.oh / poolKh, pow_ = cs.ow / poolKw;
    if (!nnc::range_ok(env, what, pooledFrom, pooledTo, nnc::product(cs.n, poh))) return;
    if (!output_ok(env, what, nnc::kS8, out, nnc::product(pooledTo, pow_, b.n))) return;
    EpilogueArrays arrays;
    nnc::Epilogue e;
    if (!prepare_epilogue(env, b, nnc::kS8, scale, bias, relu, outScale, outZp, zpA, wsum, arrays, e)) return;
    bool ok;
    {
        Pinned px(env, x, true);
        if (px.get() == nullptr) return;  // OutOfMemoryError pending
        Pinned po(env, out, false);
        if (po.get() == nullptr) return;
        int8_t* first = static_cast<int8_t*>(po.get()) + static_cast<size_t>(pooledFrom) * static_cast<size_t>(pow_) * static_cast<size_t>(b.n);
        ok = nnc::conv_direct_pool_avx512vnni(static_cast<const int8_t*>(px.get()), cs, pad, b, e, pw, first, pooledFrom, pooledTo);
    }
    if (!ok) throw_java(env, "java/lang/OutOfMemoryError", "int8 conv + max-pool: no native memory for scratch blocks");
}

// Output lines [lineFrom, lineTo) of the NHWC int8 im2col; the Java caller has checked every size, and so does this.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeInt8_im2col(JNIEnv* env, jclass, jbyteArray x, jintArray shape,
                                                                         jbyte pad, jbyteArray cols, jint lineFrom,
                                                                         jint lineTo) {
    const char* what = "int8 im2col";
    nnc::ConvShape cs;
    if (!conv_shape(env, what, shape, x, cs)) return;
    if (!nnc::range_ok(env, what, lineFrom, lineTo, nnc::product(cs.n, cs.oh))) return;
    const int64_t need = nnc::product(lineTo, cs.ow, nnc::product(cs.kh, cs.kw, cs.c));
    if (!nnc::require(env, need >= 0 && nnc::array_length(env, cols) >= need, what, "cols hold %lld bytes, lines up to %d need %lld",
                      static_cast<long long>(nnc::array_length(env, cols)), lineTo, static_cast<long long>(need)))
        return;
    bool ok = true;
    {
        Pinned px(env, x, true);
        if (px.get() == nullptr) return;  // OutOfMemoryError pending
        Pinned pc(env, cols, false);
        if (pc.get() == nullptr) return;
        int8_t* first = static_cast<int8_t*>(pc.get()) + static_cast<size_t>(lineFrom) * static_cast<size_t>(cs.ow) * cs.kh * cs.kw * cs.c;
        ok = nnc::im2col_s8(static_cast<const int8_t*>(px.get()), cs, pad, first, lineFrom, lineTo);
    }
    if (!ok) throw_java(env, "java/lang/OutOfMemoryError", "int8 im2col: no native memory for the padded rows");
}

// Images [imgFrom, imgTo) of the NCHW float -> NHWC int8 input quantisation (sizes checked in Java and here).
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeInt8_quantizeToNhwc(JNIEnv* env, jclass, jint variant, jfloatArray x,
                                                                                 jint imgFrom, jint imgTo, jint c, jint hw,
                                                                                 jfloat scale, jint zp, jbyteArray q) {
    const char* what = "int8 quantize";
    if (!nnc::require(env, cpu_has(variant), what, "variant %d is not one this CPU runs", variant)) return;
    if (!nnc::conversion_ok(env, what, imgFrom, imgTo, c, hw, x, q)) return;
    Pinned px(env, x, true);
    if (px.get() == nullptr) return;  // OutOfMemoryError pending
    Pinned pq(env, q, false);
    if (pq.get() == nullptr) return;
    const float* src = static_cast<const float*>(px.get());
    int8_t* dst = static_cast<int8_t*>(pq.get());
    switch (variant) {
        case nnc::kAvx512Vnni: nnc::quantize_nhwc_avx512(src, imgFrom, imgTo, c, hw, scale, zp, dst); break;
        case nnc::kAvx2: nnc::quantize_nhwc_avx2(src, imgFrom, imgTo, c, hw, scale, zp, dst); break;
        default: nnc::quantize_nhwc_scalar(src, imgFrom, imgTo, c, hw, scale, zp, dst); break;
    }
}

// Images [imgFrom, imgTo) of the NHWC int8 max-pool; shape = {n, h, w, c, kh, kw, strideH, strideW, padH, padW, oh, ow}.
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeInt8_maxPool(JNIEnv* env, jclass, jint variant, jbyteArray x,
                                                                          jintArray shape, jbyteArray y, jint imgFrom, jint imgTo) {
    const char* what = "int8 max-pool";
    if (!nnc::require(env, cpu_has(variant), what, "variant %d is not one this CPU runs", variant)) return;
    if (!nnc::require(env, nnc::array_length(env, shape) >= 12, what, "shape needs 12 entries")) return;
    jint s[12];
    env->GetIntArrayRegion(shape, 0, 12, s);
    nnc::PoolShape ps{s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11]};
    if (!nnc::require(env, ps.n >= 0 && ps.c >= 0 && nnc::window_ok(ps.h, ps.kh, ps.stride_h, ps.pad_h, ps.oh) &&
                               nnc::window_ok(ps.w, ps.kw, ps.stride_w, ps.pad_w, ps.ow),
                      what, "inconsistent geometry: input %dx%d, window %dx%d, stride %dx%d, pad %dx%d, output %dx%d", ps.h, ps.w, ps.kh,
                      ps.kw, ps.stride_h, ps.stride_w, ps.pad_h, ps.pad_w, ps.oh, ps.ow))
        return;
    if (!nnc::range_ok(env, what, imgFrom, imgTo, ps.n)) return;
    const int64_t need_x = nnc::product(imgTo, ps.h, ps.w, ps.c), need_y = nnc::product(imgTo, ps.oh, ps.ow, ps.c);
    if (!nnc::arrays_hold(env, what, imgTo, x, need_x, y, need_y)) return;
    Pinned px(env, x, true);
    if (px.get() == nullptr) return;
    Pinned py(env, y, false);
    if (py.get() == nullptr) return;
    const int8_t* src = static_cast<const int8_t*>(px.get());
    int8_t* dst = static_cast<int8_t*>(py.get());
    switch (variant) {
        case nnc::kAvx512Vnni: nnc::max_pool_s8_avx512(src, ps, dst, imgFrom, imgTo); break;
        case nnc::kAvx2: nnc::max_pool_s8_avx2(src, ps, dst, imgFrom, imgTo); break;
        default: nnc::max_pool_s8_scalar(src, ps, dst, imgFrom, imgTo); break;
    }
}

// Images [imgFrom, imgTo) of int8 NHWC [n, hw, c] to NCHW [n, c, hw].
JNIEXPORT void JNICALL Java_dev_nncompress_backend_cpu_NativeInt8_nhwcToNchw(JNIEnv* env, jclass, jint variant, jbyteArray x,
                                                                             jint hw, jint c, jbyteArray y, jint imgFrom, jint imgTo) {
    const char* what = "int8 nhwc to nchw";
    if (!nnc::require(env, cpu_has(variant), what, "variant %d is not one this CPU runs", variant)) return;
    if (!nnc::conversion_ok(env, what, imgFrom, imgTo, c, hw, x, y)) return;
    Pinned px(env, x, true);
    if (px.get() == nullptr) return;
    Pinned py(env, y, false);
    if (py.get() == nullptr) return;
    const int8_t* src = static_cast<const int8_t*>(px.get());
    int8_t* dst = static_cast<int8_t*>(py.get());
    switch (variant) {
        case nnc::kAvx512Vnni: nnc::nhwc_to_nchw_s8_avx512(src, hw, c, dst, imgFrom, imgTo); break;
        case nnc::kAvx2: nnc::nhwc_to_nchw_s8_avx2(src, hw, c, dst, imgFrom, imgTo); break;
        default: nnc::nhwc_to_nchw_s8_scalar(src, hw, c, dst, imgFrom, imgTo); break;
    }
}

}  // extern "C"
