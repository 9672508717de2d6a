package dev.nncompress.backend.cpu;

/**
 * tanh and sigmoid for the CPU backend as a rational function of x^2 (Eigen's float tanh: odd polynomial of degree 13
 * over even of degree 6, input clamped to +-7.9053, where float tanh rounds to +-1): only multiplies, adds, one divide
 * and min/max, so the JIT vectorises the loops, where {@code Math.exp} and {@code Math.tanh} are a call per element.
 * sigmoid(x) = 0.5 + 0.5 tanh(x / 2). Errors against the double-precision definitions (the reference backend's
 * {@code RefActivations}), measured over every 61st float in [-20, 20] (36 million inputs; {@code FastActivationsTest}
 * checks every 251st): tanh at most 3.52e-7 absolute, sigmoid at most 2.03e-7 absolute (so its relative error grows for
 * outputs below 1e-6, x < -14).
 * NaN stays NaN, +-infinity gives +-1 (sigmoid 0 and 1), -0 stays -0 for tanh.
 */
final class FastActivations {
    /** Beyond it float tanh is +-1 (to the last bit of the approximation). */
    private static final float CLAMP = 7.90531110763549805f;
    private static final float A1 = 4.89352455891786e-03f, A3 = 6.37261928875436e-04f, A5 = 1.48572235717979e-05f,
            A7 = 5.12229709037114e-08f, A9 = -8.60467152213735e-11f, A11 = 2.00018790482477e-13f, A13 = -2.76076847742355e-16f;
    private static final float B0 = 4.89352518554385e-03f, B2 = 2.26843463243900e-03f, B4 = 1.18534705686654e-04f, B6 = 1.19825839466702e-06f;

    private FastActivations() {}

    static float tanh(float x) {
        float c = Math.min(Math.max(x, -CLAMP), CLAMP);
        float x2 = c * c;
        float p = (((((A13 * x2 + A11) * x2 + A9) * x2 + A7) * x2 + A5) * x2 + A3) * x2 + A1;
        float q = ((B6 * x2 + B4) * x2 + B2) * x2 + B0;
        return c * p / q;
    }

    static float sigmoid(float x) { return 0.5f + 0.5f * tanh(0.5f * x); }

    /** In place on v[0, len): the loops the JIT vectorises. */
    static void tanh(float[] v, int len) {
        for (int i = 0; i < len; i++) v[i] = tanh(v[i]);
    }

    static void sigmoid(float[] v, int len) {
        for (int i = 0; i < len; i++) v[i] = sigmoid(v[i]);
    }
}
