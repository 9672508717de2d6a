package dev.nncompress.backend;

import dev.nncompress.quant.QuantArithmetic;

/**
 * What an int8 GEMM ({@code C = epilogue(A x B^T)}, A [m, k] int8, B [n, k] int8) does with each int32
 * accumulator before writing it; the semantics of {@code cuda-kernels/gemm_s8.cu} and its CPU twin
 * {@code ReferenceGemmS8}, step by step:
 * <ol>
 *   <li>{@code zpA != 0}: {@code acc -= zpA * wsum[n]} (int arithmetic, wrapping), where
 *       {@code wsum[n] = sum_k B[n, k]}; this makes the product {@code sum_k (A[m, k] - zpA) * B[n, k]} for
 *       activations quantised with a zero point.</li>
 *   <li>{@link Mode#S32}: the accumulator is the result.</li>
 *   <li>{@link Mode#F32}: {@code y = (float) acc * scale[n]}, then {@code + bias[n]} if there is a bias, then
 *       {@code y < 0 ? 0 : y} if {@code relu}, each step rounded to float. {@code scale[n]} is the combined
 *       per-output-channel scale {@code scaleA * scaleW[n]} (per tensor: all equal).</li>
 *   <li>{@link Mode#S8}: the same y, requantised as {@code QuantArithmetic.quantizeS8} does with
 *       {@code outScale} and {@code outZp}: {@code clamp(rint(y / outScale) + outZp, -128, 127)}.</li>
 * </ol>
 * The arrays are not copied; they must not change while a GEMM uses them. Use the factories.
 */
public record GemmS8Epilogue(Mode mode, float[] scale, float[] bias, boolean relu, float outScale, int outZp, int zpA,
                             int[] wsum) {
    /** Output element type; {@link #code()} is the kernel's {@code mode} argument. */
    public enum Mode {
        S32(0), F32(1), S8(2);

        private final int code;

        Mode(int code) { this.code = code; }

        public int code() { return code; }
    }

    public GemmS8Epilogue {
        if (mode == null) throw new IllegalArgumentException("gemm s8 epilogue: mode is null");
        if (mode == Mode.S32) {
            if (scale != null || bias != null || relu) {
                throw new IllegalArgumentException("gemm s8 epilogue: mode S32 writes the raw accumulator; scale, bias and relu must be unset");
            }
        } else if (scale == null) {
            throw new IllegalArgumentException("gemm s8 epilogue: mode " + mode + " needs a scale per output channel");
        }
        if (mode == Mode.S8) {
            if (!(outScale > 0) || Float.isInfinite(outScale)) {
                throw new IllegalArgumentException("gemm s8 epilogue: outScale must be > 0 and finite, got " + outScale);
            }
            if (outZp < -128 || outZp > 127) throw new IllegalArgumentException("gemm s8 epilogue: outZp " + outZp + " outside [-128, 127]");
        }
        if (zpA < -128 || zpA > 127) throw new IllegalArgumentException("gemm s8 epilogue: zpA " + zpA + " outside [-128, 127]");
        if (zpA != 0 && wsum == null) {
            throw new IllegalArgumentException("gemm s8 epilogue: zpA = " + zpA + " needs wsum (the weight row sums)");
        }
    }

    /** Raw int32 accumulators. */
    public static GemmS8Epilogue s32() { return new GemmS8Epilogue(Mode.S32, null, null, false, 1f, 0, 0, null); }

    /** Float output {@code (float) acc * scale[n] + bias[n]} (bias may be null), optionally ReLU'd. */
    public static GemmS8Epilogue f32(float[] scale, float[] bias, boolean relu) {
        return new GemmS8Epilogue(Mode.F32, scale, bias, relu, 1f, 0, 0, null);
    }

    /** The float output of {@link #f32} requantised to int8 with {@code outScale} and {@code outZp}. */
    public static GemmS8Epilogue s8(float[] scale, float[] bias, boolean relu, float outScale, int outZp) {
        return new GemmS8Epilogue(Mode.S8, scale, bias, relu, outScale, outZp, 0, null);
    }

    /**
     * The per-output-channel scales the F32 and S8 modes take: {@code scaleA * scaleW[n]} in float (the
     * activation scale folded into the weight scales; per-tensor weights: an array of one repeated value).
     */
    public static float[] combinedScales(float scaleA, float[] scaleW) {
        if (!(scaleA > 0) || Float.isInfinite(scaleA)) throw new IllegalArgumentException("gemm s8: scaleA must be > 0 and finite, got " + scaleA);
        float[] s = new float[scaleW.length];
        for (int i = 0; i < s.length; i++) s[i] = scaleA * scaleW[i];
        return s;
    }

    /** This epilogue for activations with zero point {@code zpA}; {@code wsum[n] = sum_k B[n, k]}. */
    public GemmS8Epilogue withActivationZeroPoint(int zpA, int[] wsum) {
        return new GemmS8Epilogue(mode, scale, bias, relu, outScale, outZp, zpA, wsum);
    }

    /** Checks the per-channel arrays against the GEMM's n (output channels). */
    public void checkChannels(int n) {
        if (scale != null && scale.length != n) throw new IllegalArgumentException("gemm s8 epilogue: " + scale.length + " scales for n = " + n);
        if (bias != null && bias.length != n) throw new IllegalArgumentException("gemm s8 epilogue: " + bias.length + " biases for n = " + n);
        if (zpA != 0 && wsum.length != n) throw new IllegalArgumentException("gemm s8 epilogue: " + wsum.length + " weight row sums for n = " + n);
    }

    /** Bytes per output element. */
    public int outputBytes() { return mode == Mode.S8 ? 1 : 4; }
}
