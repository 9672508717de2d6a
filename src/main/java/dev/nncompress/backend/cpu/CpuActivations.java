package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Unary;
import dev.nncompress.backend.ref.RefActivations;

/**
 * The activations ({@link Unary}) and softmax as Java loops over off-heap memory, each element computed
 * by the reference's own definition ({@link RefActivations}, inlined by the JIT), so the results are the
 * reference's bit for bit, except the forward sigmoid and tanh: {@link FastActivations}' rational approximation
 * (within 3.6e-7 absolute), which the JIT vectorises where exp and tanh are a call per element; their gradients
 * read the output, as the reference's. Data moves in {@link CpuLoops#CHUNK}-float pieces through per-thread heap
 * arrays with the kind switched once per piece, so the loop bodies are plain float code over arrays: the
 * JIT vectorises the min/max ones (clip, hard sigmoid, hard swish) and the rational ones.
 * Large tensors are split over the cores.
 */
final class CpuActivations {
    private CpuActivations() {}

    static void forward(Unary kind, long x, long y, int n, float a, float b) {
        CpuPar.forElements(n, (from, to) -> {
            float[] v = CpuLoops.buffers()[0];
            for (int s = from; s < to; s += CpuLoops.CHUNK) {
                int len = Math.min(CpuLoops.CHUNK, to - s);
                Mem.toArray(x, s, v, 0, len);
                forward(kind, v, len, a, b);
                Mem.fromArray(v, 0, y, s, len);
            }
        });
    }

    /** In place on v[0, len). */
    private static void forward(Unary kind, float[] v, int len, float a, float b) {
        switch (kind) {
            case CLIP -> { for (int i = 0; i < len; i++) v[i] = RefActivations.clip(v[i], a, b); }
            case LEAKY_RELU -> { for (int i = 0; i < len; i++) v[i] = RefActivations.leakyRelu(v[i], a); }
            case SIGMOID -> FastActivations.sigmoid(v, len);
            case HARD_SIGMOID -> { for (int i = 0; i < len; i++) v[i] = RefActivations.hardSigmoid(v[i], a, b); }
            case HARD_SWISH -> { for (int i = 0; i < len; i++) v[i] = RefActivations.hardSwish(v[i], a, b); }
            case TANH -> FastActivations.tanh(v, len);
        }
    }

    /** dx from x (or the output y, for sigmoid and tanh) and g. */
    static void backward(Unary kind, long x, long y, long g, long dx, int n, float a, float b) {
        long in = kind.gradientFromOutput() ? y : x;
        CpuPar.forElements(n, (from, to) -> {
            float[][] f = CpuLoops.buffers();
            float[] v = f[0], gv = f[1];
            for (int s = from; s < to; s += CpuLoops.CHUNK) {
                int len = Math.min(CpuLoops.CHUNK, to - s);
                Mem.toArray(in, s, v, 0, len);
                Mem.toArray(g, s, gv, 0, len);
                backward(kind, v, gv, len, a, b);
                Mem.fromArray(gv, 0, dx, s, len);
            }
        });
    }

    /** gv[i] becomes dx[i]; v holds x, or y for the kinds that read the output. */
    private static void backward(Unary kind, float[] v, float[] gv, int len, float a, float b) {
        switch (kind) {
            case CLIP -> { for (int i = 0; i < len; i++) gv[i] = RefActivations.clipGrad(v[i], gv[i], a, b); }
            case LEAKY_RELU -> { for (int i = 0; i < len; i++) gv[i] = RefActivations.leakyReluGrad(v[i], gv[i], a); }
            case SIGMOID -> { for (int i = 0; i < len; i++) gv[i] = RefActivations.sigmoidGrad(v[i], gv[i]); }
            case HARD_SIGMOID -> { for (int i = 0; i < len; i++) gv[i] = RefActivations.hardSigmoidGrad(v[i], gv[i], a, b); }
            case HARD_SWISH -> { for (int i = 0; i < len; i++) gv[i] = RefActivations.hardSwishGrad(v[i], gv[i], a, b); }
            case TANH -> { for (int i = 0; i < len; i++) gv[i] = RefActivations.tanhGrad(v[i], gv[i]); }
        }
    }

    /**
     * Softmax of [outer, k, inner] along k (or, with {@code backward}, its gradient from the output in {@code in}
     * and dL/dy in {@code g}): the reference's arithmetic (double, exp(x - max) / sum) on whole [k, inner]
     * slices copied to the heap, slices split over the cores.
     */
    static void softmax(long in, long g, long out, int outer, int k, int inner, boolean backward) {
        long slice = (long) k * inner;
        int minSlices = (int) Math.max(1, CpuPar.MIN_PARALLEL / 2 / Math.max(1, slice));
        CpuPar.forRange(outer, minSlices, 1, (o0, o1) -> {
            float[] xs = new float[(int) slice], gs = backward ? new float[(int) slice] : null;
            for (int o = o0; o < o1; o++) {
                long base = o * slice;
                Mem.toArray(in, base, xs, 0, (int) slice);
                float[] r;
                if (backward) {
                    Mem.toArray(g, base, gs, 0, (int) slice);
                    r = RefActivations.softmaxBackward(xs, gs, 1, k, inner);
                } else {
                    r = RefActivations.softmax(xs, 1, k, inner);
                }
                Mem.fromArray(r, 0, out, base, (int) slice);
            }
        });
    }
}
