package dev.nncompress.backend.ref;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.sparse.CsrWeights;
import dev.nncompress.sparse.StructuredSparsity;

/**
 * CPU twin of {@code cuda-kernels/sparse_conv.cu} and {@code sparse_conv_csr.cu}: 2-D convolution
 * (NCHW, OIHW, stride, padding, dilation; one group, symmetric padding) with structured ({@link StructuredSparsity}) or
 * unstructured ({@link CsrWeights}) weights and an optional output mask [N, OH, OW] (1 = compute;
 * masked outputs are 0 and pass no gradient).
 * <p>Forward, bit for bit with the kernels: {@code acc = bias} (0 without), then
 * {@code acc = fma(x, w, acc)} over the kept channels ascending, ky, kx (structured) or over the CSR
 * entries in order; a tap in the padding reads 0 and is still accumulated, as the tiled kernels do.
 * A pruned filter (structured) outputs 0 without bias; a CSR row without entries outputs its bias.
 * <p>Backward sums in double and rounds once: the kernels split their sums over threads and add them
 * atomically, so they are compared with a relative tolerance, not bit for bit.
 */
public final class ReferenceSparseConv {
    private ReferenceSparseConv() {}

    /** Output [N, O, OH, OW] of the structured form; {@code w} is the full OIHW weight. */
    public static float[] forwardStructured(ConvGeometry g, float[] x, float[] w, float[] bias, StructuredSparsity s, byte[] mask) {
        check(g, x, w, bias, mask);
        checkSparsity(g, s);
        float[] y = new float[g.n() * g.o() * g.oh() * g.ow()];
        int[] keptIn = s.keptIn();
        for (int o : s.keptOut()) {
            forEachOutput(g, mask, (b, oy, ox) -> {
                float acc = bias == null ? 0f : bias[o];
                for (int c : keptIn) {
                    for (int ky = 0; ky < g.kh(); ky++) {
                        for (int kx = 0; kx < g.kw(); kx++) {
                            acc = Math.fma(tapValue(g, x, b, c, oy, ox, ky, kx), w[g.weightIndex(o, c, ky, kx)], acc);
                        }
                    }
                }
                y[g.outputIndex(b, o, oy, ox)] = acc;
            });
        }
        return y;
    }

    /** Output [N, O, OH, OW] of the unstructured form. */
    public static float[] forwardCsr(ConvGeometry g, float[] x, CsrWeights wts, float[] bias, byte[] mask) {
        check(g, x, null, bias, mask);
        checkCsr(g, wts);
        float[] y = new float[g.n() * g.o() * g.oh() * g.ow()];
        int[] rowPtr = wts.rowPtr();
        int[] tap = wts.tap();
        float[] value = wts.value();
        int kk = g.kh() * g.kw();
        for (int o = 0; o < g.o(); o++) {
            int row = o;
            forEachOutput(g, mask, (b, oy, ox) -> {
                float acc = bias == null ? 0f : bias[row];
                for (int e = rowPtr[row]; e < rowPtr[row + 1]; e++) {
                    int r = tap[e] % kk;
                    acc = Math.fma(tapValue(g, x, b, tap[e] / kk, oy, ox, r / g.kw(), r % g.kw()), value[e], acc);
                }
                y[g.outputIndex(b, row, oy, ox)] = acc;
            });
        }
        return y;
    }

    /** Gradients of {@link #forwardStructured}; the weight gradient is full OIHW, zero outside kept blocks. */
    public static SparseConvGrads backwardStructured(ConvGeometry g, float[] x, float[] w, float[] gradOut, StructuredSparsity s,
                                                     byte[] mask, boolean withBias) {
        check(g, x, w, null, mask);
        checkSparsity(g, s);
        checkGradOut(g, gradOut);
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        double[] db = new double[g.o()];
        int[] keptIn = s.keptIn();
        for (int o : s.keptOut()) {
            forEachOutput(g, mask, (b, oy, ox) -> {
                double go = gradOut[g.outputIndex(b, o, oy, ox)];
                db[o] += go;
                for (int c : keptIn) {
                    for (int ky = 0; ky < g.kh(); ky++) {
                        for (int kx = 0; kx < g.kw(); kx++) {
                            int xi = inputIndex(g, b, c, oy, ox, ky, kx);
                            if (xi < 0) continue;
                            int wi = g.weightIndex(o, c, ky, kx);
                            dw[wi] += go * x[xi];
                            dx[xi] += go * w[wi];
                        }
                    }
                }
            });
        }
        return new SparseConvGrads(RefMath.toFloats(dx), RefMath.toFloats(dw), withBias ? RefMath.toFloats(db) : null);
    }

    /** Gradients of {@link #forwardCsr}; the weight gradient has one value per CSR entry. */
    public static SparseConvGrads backwardCsr(ConvGeometry g, float[] x, CsrWeights wts, float[] gradOut, byte[] mask, boolean withBias) {
        check(g, x, null, null, mask);
        checkCsr(g, wts);
        checkGradOut(g, gradOut);
        int[] rowPtr = wts.rowPtr();
        int[] tap = wts.tap();
        float[] value = wts.value();
        int kk = g.kh() * g.kw();
        double[] dx = new double[x.length];
        double[] dv = new double[value.length];
        double[] db = new double[g.o()];
        for (int o = 0; o < g.o(); o++) {
            int row = o;
            forEachOutput(g, mask, (b, oy, ox) -> {
                double go = gradOut[g.outputIndex(b, row, oy, ox)];
                db[row] += go;
                for (int e = rowPtr[row]; e < rowPtr[row + 1]; e++) {
                    int r = tap[e] % kk;
                    int xi = inputIndex(g, b, tap[e] / kk, oy, ox, r / g.kw(), r % g.kw());
                    if (xi < 0) continue;
                    dv[e] += go * x[xi];
                    dx[xi] += go * value[e];
                }
            });
        }
        return new SparseConvGrads(RefMath.toFloats(dx), RefMath.toFloats(dv), withBias ? RefMath.toFloats(db) : null);
    }

    private interface OutputVisitor {
        void visit(int b, int oy, int ox);
    }

    /** Visits the unmasked output positions; masked ones stay 0 in the output and pass no gradient. */
    private static void forEachOutput(ConvGeometry g, byte[] mask, OutputVisitor v) {
        for (int b = 0; b < g.n(); b++) {
            for (int oy = 0; oy < g.oh(); oy++) {
                for (int ox = 0; ox < g.ow(); ox++) {
                    if (mask == null || mask[(b * g.oh() + oy) * g.ow() + ox] != 0) v.visit(b, oy, ox);
                }
            }
        }
    }

    /** Input index read by output (oy, ox) at tap (ky, kx), or -1 inside the padding. */
    private static int inputIndex(ConvGeometry g, int b, int c, int oy, int ox, int ky, int kx) {
        int iy = g.inY(oy, ky);
        int ix = g.inX(ox, kx);
        return iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w() ? -1 : g.inputIndex(b, c, iy, ix);
    }

    private static float tapValue(ConvGeometry g, float[] x, int b, int c, int oy, int ox, int ky, int kx) {
        int i = inputIndex(g, b, c, oy, ox, ky, kx);
        return i < 0 ? 0f : x[i];
    }

    private static void check(ConvGeometry g, float[] x, float[] w, float[] bias, byte[] mask) {
        if (g == null) throw new IllegalArgumentException("sparse conv: geometry is null");
        if (g.groups() != 1) throw new IllegalArgumentException("sparse conv: " + g.groups() + " groups; the sparse kernels take one group");
        if (g.inputSize() >= Integer.MAX_VALUE || g.weightSize() >= Integer.MAX_VALUE || g.outputSize() >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("sparse conv: tensors of 2^31 or more elements are not supported: " + g);
        }
        if (x == null || x.length != g.inputSize()) {
            throw new IllegalArgumentException("sparse conv: input has " + (x == null ? "no" : x.length) + " values, expected " + g.inputSize());
        }
        if (w != null && w.length != g.weightSize()) {
            throw new IllegalArgumentException("sparse conv: weight has " + w.length + " values, expected " + g.weightSize() + " (OIHW)");
        }
        if (bias != null && bias.length != g.o()) {
            throw new IllegalArgumentException("sparse conv: bias has " + bias.length + " values, expected " + g.o());
        }
        if (mask != null && mask.length != g.maskSize()) {
            throw new IllegalArgumentException("sparse conv: output mask has " + mask.length + " values, expected N*OH*OW = " + g.maskSize());
        }
    }

    private static void checkGradOut(ConvGeometry g, float[] gradOut) {
        if (gradOut == null || gradOut.length != g.outputSize()) {
            throw new IllegalArgumentException("sparse conv: gradOut has " + (gradOut == null ? "no" : gradOut.length) + " values, expected "
                    + g.outputSize());
        }
    }

    static void checkSparsity(ConvGeometry g, StructuredSparsity s) {
        if (s == null) throw new IllegalArgumentException("sparse conv: structured sparsity is null");
        if (s.outChannels() != g.o() || s.inChannels() != g.c()) {
            throw new IllegalArgumentException("sparse conv: " + s + " does not match weight [" + g.o() + ", " + g.c() + ", ...]");
        }
    }

    static void checkCsr(ConvGeometry g, CsrWeights w) {
        if (w == null) throw new IllegalArgumentException("sparse conv: CSR weights are null");
        if (w.outChannels() != g.o() || w.inChannels() != g.c() || w.kh() != g.kh() || w.kw() != g.kw()) {
            throw new IllegalArgumentException("sparse conv: " + w + " does not match weight [" + g.o() + ", " + g.c() + ", " + g.kh() + ", " + g.kw() + "]");
        }
    }
}
