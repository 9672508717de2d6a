package dev.nncompress.backend.ref;

import dev.nncompress.backend.Unary;

/**
 * The definitions of the activations ({@link Unary}) and of softmax, element by element: the twin of
 * cuda-kernels/activation.cu and softmax.cu and what the CPU backend's loops call. Each step is one
 * float or double operation as written, so that a kernel doing the same steps (with explicit rounding
 * where nvcc could fuse a multiply-add) gets the same bits; where a double product of two floats is
 * exact, a fused multiply-add would not change it either.
 */
public final class RefActivations {
    private RefActivations() {}

    // ---- the scalar definitions ----

    /** Java's Math.min/max: NaN stays NaN, -0 < +0. */
    public static float clip(float x, float lo, float hi) { return Math.min(Math.max(x, lo), hi); }

    public static float clipGrad(float x, float g, float lo, float hi) { return x > lo && x < hi ? g : 0f; }

    public static float leakyRelu(float x, float alpha) { return x > 0f ? x : x * alpha; }

    public static float leakyReluGrad(float x, float g, float alpha) { return x > 0f ? g : g * alpha; }

    public static float sigmoid(float x) { return (float) (1.0 / (1.0 + Math.exp(-(double) x))); }

    /** g y (1 - y): g y and 1 - y are exact in double, so one rounding before the float one. */
    public static float sigmoidGrad(float y, float g) { return (float) ((double) g * y * (1.0 - y)); }

    public static float tanh(float x) { return (float) Math.tanh(x); }

    public static float tanhGrad(float y, float g) { return (float) ((double) g * (1.0 - (double) y * y)); }

    /** clip(a x + b, 0, 1), a x + b rounded twice in float. */
    public static float hardSigmoid(float x, float a, float b) { return Math.min(Math.max(a * x + b, 0f), 1f); }

    public static float hardSigmoidGrad(float x, float g, float a, float b) {
        float v = a * x + b;
        return v > 0f && v < 1f ? g * a : 0f;
    }

    public static float hardSwish(float x, float a, float b) { return x * hardSigmoid(x, a, b); }

    /** 0 below the ramp, g above it, g (2 a x + b) on it, bounds included (PyTorch's hardswish_backward). */
    public static float hardSwishGrad(float x, float g, float a, float b) {
        float v = a * x + b;
        if (v < 0f) return 0f;
        if (v > 1f) return g;
        return (float) ((double) g * (2.0 * a * x + b));
    }

    /** {@code kind}(x). */
    public static float forward(Unary kind, float x, float a, float b) {
        return switch (kind) {
            case CLIP -> clip(x, a, b);
            case LEAKY_RELU -> leakyRelu(x, a);
            case SIGMOID -> sigmoid(x);
            case HARD_SIGMOID -> hardSigmoid(x, a, b);
            case HARD_SWISH -> hardSwish(x, a, b);
            case TANH -> tanh(x);
        };
    }

    /** dL/dx of {@code kind} at input x with output y and dL/dy = g. */
    public static float backward(Unary kind, float x, float y, float g, float a, float b) {
        return switch (kind) {
            case CLIP -> clipGrad(x, g, a, b);
            case LEAKY_RELU -> leakyReluGrad(x, g, a);
            case SIGMOID -> sigmoidGrad(y, g);
            case HARD_SIGMOID -> hardSigmoidGrad(x, g, a, b);
            case HARD_SWISH -> hardSwishGrad(x, g, a, b);
            case TANH -> tanhGrad(y, g);
        };
    }

    // ---- whole arrays (the ReferenceBackend ops) ----

    static float[] forward(Unary kind, float[] x, float a, float b) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = forward(kind, x[i], a, b);
        return y;
    }

    static float[] backward(Unary kind, float[] x, float[] y, float[] g, float a, float b) {
        float[] dx = new float[x.length];
        for (int i = 0; i < x.length; i++) dx[i] = backward(kind, x[i], y[i], g[i], a, b);
        return dx;
    }

    /**
     * Softmax of x viewed as [outer, k, inner] along k: per row, m = max (double), e = exp(x - m),
     * y = e / sum(e) rounded once; a row with NaN gives NaN.
     */
    public static float[] softmax(float[] x, int outer, int k, int inner) {
        float[] y = new float[x.length];
        double[] e = new double[k];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * k * inner + i; // < x.length: an int
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < k; j++) m = Math.max(m, x[base + j * inner]);
                double sum = 0;
                for (int j = 0; j < k; j++) {
                    e[j] = Math.exp(x[base + j * inner] - m);
                    sum += e[j];
                }
                for (int j = 0; j < k; j++) y[base + j * inner] = (float) (e[j] / sum);
            }
        }
        return y;
    }

    /** dx = y (g - sum_j g_j y_j) along k, in double; each product g y is exact in double. */
    public static float[] softmaxBackward(float[] y, float[] g, int outer, int k, int inner) {
        float[] dx = new float[y.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * k * inner + i;
                double dot = 0;
                for (int j = 0; j < k; j++) dot += (double) g[base + j * inner] * y[base + j * inner];
                for (int j = 0; j < k; j++) {
                    int at = base + j * inner;
                    dx[at] = (float) (y[at] * (g[at] - dot));
                }
            }
        }
        return dx;
    }
}
