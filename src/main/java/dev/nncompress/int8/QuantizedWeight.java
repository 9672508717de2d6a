package dev.nncompress.int8;

import dev.nncompress.tensor.Shape;

/**
 * An int8 weight quantised symmetrically per output channel (dim 0; zero point 0): codes in the float
 * weight's own layout (OIHW or [out, in]) and one scale per output channel, so that
 * {@code w ~= codes * scales[o]}.
 */
public record QuantizedWeight(byte[] codes, Shape shape, float[] scales) {
    public QuantizedWeight {
        if (codes.length != shape.numel()) throw new IllegalArgumentException("int8 weight: " + codes.length + " codes for shape " + shape);
        if (shape.rank() < 2) throw new IllegalArgumentException("int8 weight: shape " + shape + " must have rank >= 2");
        // an empty dimension would make rowLength() divide by zero (a fuzzing finding: dim 0 of 0 channels)
        for (int d = 0; d < shape.rank(); d++) {
            if (shape.dim(d) < 1) throw new IllegalArgumentException("int8 weight: shape " + shape + " has an empty dimension");
        }
        if (scales.length != shape.dim(0)) {
            throw new IllegalArgumentException("int8 weight: " + scales.length + " scales for " + shape.dim(0) + " output channels");
        }
        for (int o = 0; o < scales.length; o++) {
            if (!(scales[o] > 0) || Float.isInfinite(scales[o])) throw new IllegalArgumentException("int8 weight: scale[" + o + "] must be > 0 and finite, got " + scales[o]);
        }
    }

    public int outChannels() { return shape.dim(0); }

    /** Elements per output channel. */
    public int rowLength() { return shape.numel() / shape.dim(0); }

    /** {@code codes[i] * scale} of each element's channel, the float weight the int8 engine computes with. */
    public float[] dequantize() {
        float[] w = new float[codes.length];
        int row = rowLength();
        for (int i = 0; i < w.length; i++) w[i] = (float) codes[i] * scales[i / row];
        return w;
    }
}
