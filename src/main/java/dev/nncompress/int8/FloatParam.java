package dev.nncompress.int8;

import dev.nncompress.tensor.Shape;

/** A parameter an int8 model keeps in float: biases, and the weights of layers kept in float. */
public record FloatParam(float[] values, Shape shape) {
    public FloatParam {
        if (values.length != shape.numel()) throw new IllegalArgumentException("float parameter: " + values.length + " values for shape " + shape);
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) throw new IllegalArgumentException("float parameter holds " + values[i] + " at index " + i);
        }
    }
}
