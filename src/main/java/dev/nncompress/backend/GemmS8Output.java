package dev.nncompress.backend;

/**
 * The result of an int8 GEMM: an [m, n] row-major array whose element type follows the epilogue's
 * {@link GemmS8Epilogue.Mode}; exactly the matching one of {@code s32}, {@code f32}, {@code s8} is set.
 */
public record GemmS8Output(GemmS8Epilogue.Mode mode, int[] s32, float[] f32, byte[] s8) {
    public GemmS8Output {
        boolean ok = switch (mode) {
            case S32 -> s32 != null && f32 == null && s8 == null;
            case F32 -> f32 != null && s32 == null && s8 == null;
            case S8 -> s8 != null && s32 == null && f32 == null;
        };
        if (!ok) throw new IllegalArgumentException("gemm s8 output of mode " + mode + " must hold exactly the " + mode + " array");
    }

    public static GemmS8Output ofS32(int[] c) { return new GemmS8Output(GemmS8Epilogue.Mode.S32, c, null, null); }

    public static GemmS8Output ofF32(float[] c) { return new GemmS8Output(GemmS8Epilogue.Mode.F32, null, c, null); }

    public static GemmS8Output ofS8(byte[] c) { return new GemmS8Output(GemmS8Epilogue.Mode.S8, null, null, c); }
}
