package dev.nncompress.backend.ref;

import dev.nncompress.backend.ConcatGeometry;
import dev.nncompress.backend.ReduceGeometry;

/**
 * Concatenation, its split and the mean over consecutive dims on heap arrays: the definitions, and the
 * twins of cuda-kernels/shape.cu ({@link #copyBlock} of nnc_shape_copy_block; the means of
 * nnc_shape_mean / _backward, bit for bit: the same double sums in the same order).
 */
final class RefShapes {
    private RefShapes() {}

    /** dst[r * dstStride + dstOffset + c] = src[r * srcStride + srcOffset + c] for r < rows, c < cols. */
    static void copyBlock(float[] src, int srcStride, int srcOffset, float[] dst, int dstStride, int dstOffset, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) dst[r * dstStride + dstOffset + c] = src[r * srcStride + srcOffset + c];
        }
    }

    static float[] concat(ConcatGeometry g, float[][] parts) {
        float[] out = new float[g.output().numel()];
        for (int i = 0; i < g.parts(); i++) copyBlock(parts[i], g.inner(i), 0, out, g.rowLength(), g.offset(i), g.outer(), g.inner(i));
        return out;
    }

    static float[][] split(ConcatGeometry g, float[] x) {
        float[][] parts = new float[g.parts()][];
        for (int i = 0; i < g.parts(); i++) {
            parts[i] = new float[g.part(i).numel()];
            copyBlock(x, g.rowLength(), g.offset(i), parts[i], g.inner(i), 0, g.outer(), g.inner(i));
        }
        return parts;
    }

    /** y[o, i] = (sum over r, ascending, of x[o, r, i] in double) / reduce, rounded once to float. */
    static float[] mean(ReduceGeometry g, float[] x) {
        float[] y = new float[g.outer() * g.inner()];
        for (int o = 0; o < g.outer(); o++) {
            for (int i = 0; i < g.inner(); i++) {
                double s = 0;
                for (int r = 0; r < g.reduce(); r++) s += x[(o * g.reduce() + r) * g.inner() + i];
                y[o * g.inner() + i] = (float) (s / g.reduce());
            }
        }
        return y;
    }

    /** dx[o, r, i] = gy[o, i] / reduce (the double quotient of two floats rounds to the float one). */
    static float[] meanBackward(ReduceGeometry g, float[] gy) {
        float[] dx = new float[g.input().numel()];
        for (int o = 0; o < g.outer(); o++) {
            for (int r = 0; r < g.reduce(); r++) {
                for (int i = 0; i < g.inner(); i++) dx[(o * g.reduce() + r) * g.inner() + i] = (float) ((double) gy[o * g.inner() + i] / g.reduce());
            }
        }
        return dx;
    }
}
