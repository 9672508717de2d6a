package dev.nncompress.int8;

/**
 * The bias of an int8 conv/GEMM on the int32 grid of its accumulator ({@code scale[o] = scaleX * scaleW[o]}),
 * as the standard int8 operators hold it: ONNX's QLinearConv/QGemm (what ONNX Runtime fuses a QDQ export into,
 * and what its DequantizeLinear of an INT32 bias computes unfused) add {@code code[o] = rint(bias[o] / scale[o])}
 * to the int32 accumulator. The engine adds {@link #onGrid} (that code times the scale) instead of the float bias,
 * so our int8 engine and a runtime reading the QDQ export's INT32 bias compute the same sums: issue 18 traced
 * mobilenetv2_student's 986/1000 top-1 agreement with ONNX Runtime to exactly this (the float bias is at most half
 * an accumulator step away, 0.3% of an output step, yet 17 layers spread the codes it flips).
 */
public final class Int32Bias {
    private Int32Bias() {}

    /** The int32 codes of {@code bias} at {@code scales} (round half to even), or null where one would not fit int32. */
    public static int[] codes(float[] bias, float[] scales) {
        if (bias.length != scales.length) throw new IllegalArgumentException("int32 bias: " + bias.length + " values for " + scales.length + " scales");
        int[] codes = new int[bias.length];
        for (int o = 0; o < bias.length; o++) {
            double q = Math.rint((double) bias[o] / scales[o]);
            if (!(Math.abs(q) <= Integer.MAX_VALUE)) return null;
            codes[o] = (int) q;
        }
        return codes;
    }

    /**
     * {@code bias} moved onto the int32 grid ({@code codes[o] * scales[o]}, rounded once to float); {@code bias} itself
     * (null stays null) where a code would not fit int32, which the export then writes as FLOAT too.
     */
    public static float[] onGrid(float[] bias, float[] scales) {
        if (bias == null) return null;
        int[] codes = codes(bias, scales);
        if (codes == null) return bias;
        float[] v = new float[bias.length];
        for (int o = 0; o < v.length; o++) v[o] = (float) (codes[o] * (double) scales[o]);
        return v;
    }
}
