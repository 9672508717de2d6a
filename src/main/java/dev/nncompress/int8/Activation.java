package dev.nncompress.int8;

import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.tensor.Shape;

/**
 * A batch of values between two nodes of the int8 engine: either int8 codes with their per-tensor
 * parameters, images laid out NHWC (what the GEMM writes: one row per output position), or float
 * values in NCHW (the layout of the float ops). {@code sample} is one sample's shape in NCHW terms
 * ([C, H, W] or [F]).
 */
sealed interface Activation {
    int n();

    Shape sample();

    /** int8 codes; rank-3 samples are NHWC. */
    record Codes(byte[] data, int n, Shape sample, float scale, int zeroPoint) implements Activation {
        static Codes of(byte[] data, int n, Shape sample, QParams q) { return new Codes(data, n, sample, q.scale(0), q.zeroPoint(0)); }
    }

    /** float values, NCHW. */
    record Floats(float[] data, int n, Shape sample) implements Activation {}

    /** Float NCHW values of {@code a} (dequantised and transposed when it holds codes). */
    static float[] floats(Activation a) {
        if (a instanceof Floats f) return f.data();
        Codes c = (Codes) a;
        float[] x = new float[c.data().length];
        int per = c.sample().numel();
        Par.forImages(c.n(), b -> QuantArithmetic.dequantizeS8Range(c.data(), b * per, (b + 1) * per, c.scale(), c.zeroPoint(), x));
        return c.sample().rank() == 3 ? Layouts.nhwcToNchw(x, c.n(), c.sample()) : x;
    }

    /** Codes of {@code a} under {@code q} (quantised and transposed from float, or requantised). */
    static Codes codes(Activation a, QParams q) {
        if (a instanceof Codes c && c.scale() == q.scale(0) && c.zeroPoint() == q.zeroPoint(0)) return c;
        float[] x = floats(a);
        if (a.sample().rank() == 3) x = Layouts.nchwToNhwc(x, a.n(), a.sample());
        byte[] q8 = new byte[x.length];
        float[] src = x;
        int per = a.sample().numel();
        Par.forImages(a.n(), b -> QuantArithmetic.quantizeS8Range(src, b * per, (b + 1) * per, q.scale(0), q.zeroPoint(0), q8));
        return Codes.of(q8, a.n(), a.sample(), q);
    }
}
