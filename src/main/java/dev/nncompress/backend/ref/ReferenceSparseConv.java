package dev.nncompress.backend.ref;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.DilatedConvGeometry;

/**
 * CPU twin of {@code cuda-kernels/sparse_conv.cu} and {@code sparse_conv_csr.cu}: 2-D convolution
 * (NCHW, OIHW, stride, padding, dilation, groups = 1) with structured ({@link StructuredSparsity}) or
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
    public static float[] forwardStructured(DilatedConvGeometry dg, float[] x, float[] w, float[] bias, StructuredSparsity s, byte[] mask) {
        ConvGeometry g = dg.conv();
        check(dg, x, w, bias, mask);
        checkSparsity(g, s);
        float[] y = new float[g.n() * g.o() * g.oh() * g.ow()];
        int[] keptIn = s.keptIn();
        for (int o : s.keptOut()) {
            forEachOutput(dg, mask, (b, oy, ox) -> {
                float acc = bias == null ? 0f : bias[o];
                for (int c : keptIn) {
                    for (int ky = 0; ky < g.kh(); ky++) {
                        for (int kx = 0; kx < g.kw(); kx++) {
                            acc = Math.fma(tapValue(dg, x, b, c, oy, ox, ky, kx), w[g.weightIndex(o, c, ky, kx)], acc);
                        }
                    }
                }
                y[g.outputIndex(b, o, oy, ox)] = acc;
            });
        }
        return y;
    }

    /** Output [N, O, OH, OW] of the unstructured form. */
    public static float[] forwardCsr(DilatedConvGeometry dg, float[] x, CsrWeights wts, float[] bias, byte[] mask) {
        ConvGeometry g = dg.conv();
        check(dg, x, null, bias, mask);
        checkCsr(g, wts);
        float[] y = new float[g.n() * g.o() * g.oh() * g.ow()];
        int[] rowPtr = wts.rowPtr();
        int[] tap = wts.tap();
        float[] value = wts.value();
        int kk = g.kh() * g.kw();
        for (int o = 0; o < g.o(); o++) {
            int row = o;
            forEachOutput(dg, mask, (b, oy, ox) -> {
                float acc = bias == null ? 0f : bias[row];
                for (int e = rowPtr[row]; e < rowPtr[row + 1]; e++) {
                    int r = tap[e] % kk;
                    acc = Math.fma(tapValue(dg, x, b, tap[e] / kk, oy, ox, r / g.kw(), r % g.kw()), value[e], acc);
                }
                y[g.outputIndex(b, row, oy, ox)] = acc;
            });
        }
        return y;
    }

    /** Gradients of {@link #forwardStructured}; the weight gradient is full OIHW, zero outside kept blocks. */
    public static SparseConvGrads backwardStructured(DilatedConvGeometry dg, float[] x, float[] w, float[] gradOut, StructuredSparsity s,
                                                     byte[] mask, boolean withBias) {
        ConvGeometry g = dg.conv();
        check(dg, x, w, null, mask);
        checkSparsity(g, s);
        checkGradOut(dg, gradOut);
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        double[] db = new double[g.o()];
        int[] keptIn = s.keptIn();
        for (int o : s.keptOut()) {
            forEachOutput(dg, mask, (b, oy, ox) -> {
                double go = gradOut[g.outputIndex(b, o, oy, ox)];
                db[o] += go;
                for (int c : keptIn) {
                    for (int ky = 0; ky < g.kh(); ky++) {
                        for (int kx = 0; kx < g.kw(); kx++) {
                            int xi = inputIndex(dg, b, c, oy, ox, ky, kx);
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
    public static SparseConvGrads backwardCsr(DilatedConvGeometry dg, float[] x, CsrWeights wts, float[] gradOut, byte[] mask, boolean withBias) {
        ConvGeometry g = dg.conv();
        check(dg, x, null, null, mask);
        checkCsr(g, wts);
        checkGradOut(dg, gradOut);
        int[] rowPtr = wts.rowPtr();
        int[] tap = wts.tap();
        float[] value = wts.value();
        int kk = g.kh() * g.kw();
        double[] dx = new double[x.length];
        double[] dv = new double[value.length];
        double[] db = new double[g.o()];
        for (int o = 0; o < g.o(); o++) {
            int row = o;
            forEachOutput(dg, mask, (b, oy, ox) -> {
                double go = gradOut[g.outputIndex(b, row, oy, ox)];
                db[row] += go;
                for (int e = rowPtr[row]; e < rowPtr[row + 1]; e++) {
                    int r = tap[e] % kk;
                    int xi = inputIndex(dg, b, tap[e] / kk, oy, ox, r / g.kw(), r % g.kw());
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
    private static void forEachOutput(DilatedConvGeometry dg, byte[] mask, OutputVisitor v) {
        ConvGeometry g = dg.conv();
        for (int b = 0; b < g.n(); b++) {
            for (int oy = 0; oy < g.oh(); oy++) {
                for (int ox = 0; ox < g.ow(); ox++) {
                    if (mask == null || mask[(b * g.oh() + oy) * g.ow() + ox] != 0) v.visit(b, oy, ox);
                }
            }
        }
    }

    /** Input index read by output (oy, ox) at tap (ky, kx), or -1 inside the padding. */
    private static int inputIndex(DilatedConvGeometry dg, int b, int c, int oy, int ox, int ky, int kx) {
        ConvGeometry g = dg.conv();
        int iy = dg.inY(oy, ky);
        int ix = dg.inX(ox, kx);
        return iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w() ? -1 : g.inputIndex(b, c, iy, ix);
    }

    private static float tapValue(DilatedConvGeometry dg, float[] x, int b, int c, int oy, int ox, int ky, int kx) {
        int i = inputIndex(dg, b, c, oy, ox, ky, kx);
        return i < 0 ? 0f : x[i];
    }

    private static void check(DilatedConvGeometry dg, float[] x, float[] w, float[] bias, byte[] mask) {
        if (dg == null) throw new IllegalArgumentException("sparse conv: geometry is null");
        if (dg.inputSize() >= Integer.MAX_VALUE || dg.weightSize() >= Integer.MAX_VALUE || dg.outputSize() >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("sparse conv: tensors of 2^31 or more elements are not supported: " + dg);
        }
        if (x == null || x.length != dg.inputSize()) {
            throw new IllegalArgumentException("sparse conv: input has " + (x == null ? "no" : x.length) + " values, expected " + dg.inputSize());
        }
        if (w != null && w.length != dg.weightSize()) {
            throw new IllegalArgumentException("sparse conv: weight has " + w.length + " values, expected " + dg.weightSize() + " (OIHW)");
        }
        if (bias != null && bias.length != dg.conv().o()) {
            throw new IllegalArgumentException("sparse conv: bias has " + bias.length + " values, expected " + dg.conv().o());
        }
        if (mask != null && mask.length != dg.maskSize()) {
            throw new IllegalArgumentException("sparse conv: output mask has " + mask.length + " values, expected N*OH*OW = " + dg.maskSize());
        }
    }

    private static void checkGradOut(DilatedConvGeometry dg, float[] gradOut) {
        if (gradOut == null || gradOut.length != dg.outputSize()) {
            throw new IllegalArgumentException("sparse conv: gradOut has " + (gradOut == null ? "no" : gradOut.length) + " values, expected "
                    + dg.outputSize());
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
