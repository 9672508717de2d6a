package dev.nncompress.backend.ref;

import dev.nncompress.backend.Binary;
import dev.nncompress.backend.BroadcastGeometry;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.tensor.Shape;

/**
 * The int8 engine's elementwise steps on int8 codes (issue 17): each computes, element by element, exactly
 * what the simulation ({@code SimulatedInt8}) does with the same plan: dequantise the input codes
 * ({@code (q - zp) * scale} in float), apply the float op once (the same float operation as every backend),
 * requantise with {@code QuantArithmetic.quantizeS8}'s rounding (float division, round half to even, clamp).
 * So these steps are bit-identical to the simulation; they differ from float inference only by the
 * quantisation of their inputs and output.
 *
 * <ul>
 *   <li>A unary function of one code (activations, ReLU, a requantisation) takes one of 256 values: a table
 *       ({@link #table}, {@link #lookup}).</li>
 *   <li>Arithmetic of two code tensors with numpy broadcasting ({@link #binary}), per element in float: a
 *       residual ADD, a squeeze-excitation MUL of [C, H, W] by [C, 1, 1].</li>
 *   <li>CONCAT ({@link #concat}): each input requantised to the output's one scale through its own table
 *       (or copied when it already has the output's parameters).</li>
 * </ul>
 * Codes of rank-3 samples are NHWC; {@link #storageShape} gives the batch's dims in that storage order, so
 * broadcasting and concatenation work on the codes as stored, without transposing.
 */
final class CodeOps {
    /** Elements per unit of work of {@link #binary}: large enough to amortise a task, small enough to split a residual add. */
    private static final int CHUNK = 16384;

    private CodeOps() {}

    /** A float function of one float (an activation with its attributes bound). */
    @FunctionalInterface
    interface FloatFunction {
        float apply(float x);
    }

    /** {@code table[q + 128] = quantize(f(dequantize(q, in)), out)} for every code q. */
    static byte[] table(float inScale, int inZp, FloatFunction f, float outScale, int outZp) {
        float[] y = new float[256];
        float[] x = dequantTable(inScale, inZp);
        for (int i = 0; i < 256; i++) y[i] = f.apply(x[i]);
        byte[] t = new byte[256];
        QuantArithmetic.quantizeS8Range(y, 0, 256, outScale, outZp, t);
        return t;
    }

    /** The requantisation of codes from one scale and zero point to another, as a table. */
    static byte[] requantTable(float inScale, int inZp, float outScale, int outZp) { return table(inScale, inZp, v -> v, outScale, outZp); }

    /** {@code x[i + 128] = (i - zp) * scale}: every code's float value, as {@code QuantArithmetic.dequantizeS8Range} computes it. */
    static float[] dequantTable(float scale, int zp) {
        byte[] q = new byte[256];
        for (int i = 0; i < 256; i++) q[i] = (byte) (i - 128);
        float[] x = new float[256];
        QuantArithmetic.dequantizeS8Range(q, 0, 256, scale, zp, x);
        return x;
    }

    /** {@code y[i] = table[x[i] + 128]} for the first {@code len} codes, split over images ({@code per} codes each). */
    static void lookup(byte[] x, byte[] table, int n, int per, byte[] y) {
        Par.forImages(n, b -> {
            for (int i = b * per, end = i + per; i < end; i++) y[i] = table[x[i] + 128];
        });
    }

    /** The batch's dims in the order codes are stored: [n, H, W, C] for a [C, H, W] sample (NHWC), else [n, sample...]. */
    static Shape storageShape(int n, Shape sample) {
        if (sample.rank() == 3) return Shape.of(n, sample.dim(1), sample.dim(2), sample.dim(0));
        int[] d = new int[sample.rank() + 1];
        d[0] = n;
        for (int i = 0; i < sample.rank(); i++) d[i + 1] = sample.dim(i);
        return Shape.of(d);
    }

    /** The storage-order axis of a sample axis (0-based, batch excluded) of a rank-{@code rank} sample. */
    static int storageAxis(int sampleAxis, int rank) {
        if (rank != 3) return sampleAxis + 1;
        return switch (sampleAxis) { case 0 -> 3; case 1 -> 1; default -> 2; };
    }

    /**
     * One operand of {@link #binary}: int8 codes with their dequantisation table ({@link #dequantTable}), or
     * float values (a constant), in storage order with storage shape {@code shape}.
     */
    record Operand(Shape shape, byte[] codes, float[] table, float[] values) {
        static Operand codes(Shape shape, byte[] codes, float scale, int zp) { return new Operand(shape, codes, dequantTable(scale, zp), null); }

        static Operand constant(Shape shape, float[] values) { return new Operand(shape, null, null, values); }

        float at(int i) { return values != null ? values[i] : table[codes[i] + 128]; }
    }

    /**
     * {@code y = quantize(a kind b, out)} with numpy broadcasting of the operands' storage-order shapes (which
     * must give {@code y}'s storage shape), codes dequantised first. Per element in float, as
     * {@code RefBroadcast.apply}: one rounding for the op, one for the requantisation.
     */
    static void binary(Binary kind, Operand a, Operand b, float outScale, int outZp, byte[] y) { binary(kind, a, b, outScale, outZp, null, y); }

    /**
     * Every result of {@code a kind b} for two code operands as a table, {@code t[(qa + 128) << 8 | (qb + 128)]}: the
     * same float op and requantisation per pair as {@link #binary} per element, computed once (65,536 entries,
     * fits the L2 cache), so a residual add or a gate multiply is one lookup per element.
     */
    static byte[] pairTable(Binary kind, float sa, int za, float sb, int zb, float outScale, int outZp) {
        float[] ta = dequantTable(sa, za), tb = dequantTable(sb, zb);
        float[] v = new float[65536];
        for (int i = 0; i < 256; i++) for (int j = 0; j < 256; j++) v[i << 8 | j] = RefBroadcast.apply(kind, ta[i], tb[j]);
        byte[] t = new byte[65536];
        QuantArithmetic.quantizeS8Range(v, 0, v.length, outScale, outZp, t);
        return t;
    }

    /** {@link #binary}, reading the results of two code operands from {@code pairs} ({@link #pairTable}) when given. */
    static void binary(Binary kind, Operand a, Operand b, float outScale, int outZp, byte[] pairs, byte[] y) {
        BroadcastGeometry g = BroadcastGeometry.of("int8 " + kind, a.shape(), b.shape());
        int r = g.rank();
        int[] strideA = g.strides(0), strideB = g.strides(1);
        int inner = g.dim(r - 1), innerA = strideA[r - 1], innerB = strideB[r - 1];
        int rows = g.total() / Math.max(1, inner);
        // units of work of about CHUNK elements: a piece of one long row (a residual add collapses to one row), or
        // several short rows (a gate multiply's rows are one position's channels)
        int chunks = (inner + CHUNK - 1) / CHUNK, rowsPerUnit = Math.max(1, CHUNK / Math.max(1, inner));
        int units = chunks > 1 ? rows * chunks : (rows + rowsPerUnit - 1) / rowsPerUnit;
        Par.forImages(units, unit -> {
            int firstRow = chunks > 1 ? unit / chunks : unit * rowsPerUnit, lastRow = chunks > 1 ? firstRow + 1 : Math.min(rows, firstRow + rowsPerUnit);
            int from = chunks > 1 ? unit % chunks * CHUNK : 0, to = chunks > 1 ? Math.min(inner, from + CHUNK) : inner;
            float[] v = pairs == null ? new float[to - from] : null;
            byte[] q = pairs == null ? new byte[to - from] : null;
            for (int row = firstRow; row < lastRow; row++) {
                int ia = 0, ib = 0, rest = row;
                for (int d = r - 2; d >= 0; d--) {
                    int i = rest % g.dim(d);
                    rest /= g.dim(d);
                    ia += i * strideA[d];
                    ib += i * strideB[d];
                }
                if (pairs != null) {
                    byte[] ca = a.codes(), cb = b.codes();
                    for (int j = from, at = row * inner + from; j < to; j++, at++) {
                        y[at] = pairs[(ca[ia + j * innerA] + 128) << 8 | (cb[ib + j * innerB] + 128)];
                    }
                    continue;
                }
                for (int j = from; j < to; j++) v[j - from] = RefBroadcast.apply(kind, a.at(ia + j * innerA), b.at(ib + j * innerB));
                QuantArithmetic.quantizeS8Range(v, 0, v.length, outScale, outZp, q);
                System.arraycopy(q, 0, y, row * inner + from, q.length);
            }
        });
    }

    /**
     * A constant operand of a node whose activation samples have shape {@code sample}: its dims aligned from the
     * right with the batch's [n, sample...] (padded with 1s on the left), values transposed to storage order.
     */
    static Operand constant(float[] values, Shape constShape, Shape sample) {
        int r = sample.rank() + 1;
        int[] d = new int[r];
        for (int i = 0; i < r; i++) {
            int k = i - (r - constShape.rank());
            d[i] = k < 0 ? 1 : constShape.dim(k);
        }
        if (r != 4) return Operand.constant(Shape.of(d), values);
        float[] nhwc = d[1] == 1 || d[2] * d[3] == 1 ? values : Layouts.nchwToNhwc(values, d[0], Shape.of(d[1], d[2], d[3]));
        return Operand.constant(Shape.of(d[0], d[2], d[3], d[1]), nhwc);
    }

    /**
     * Global average pooling of NHWC codes [n, hw, c] into [n, c]: per channel the int32 sum of {@code q - zp}
     * (exact), the mean {@code sum * scale / hw} in double rounded once to float, requantised as
     * {@code QuantArithmetic.quantizeS8}. The float op sums rounded floats, so a mean within float rounding of a
     * requantisation boundary may land one code away from the simulation's.
     */
    static void globalAvgPool(byte[] x, int n, int hw, int c, float scale, int zp, float outScale, int outZp, byte[] y) {
        Par.forImages(n, b -> {
            int[] acc = new int[c];
            for (int p = 0; p < hw; p++) {
                int base = (b * hw + p) * c;
                for (int ch = 0; ch < c; ch++) acc[ch] += x[base + ch] - zp;
            }
            float[] v = new float[c];
            for (int ch = 0; ch < c; ch++) v[ch] = (float) ((double) acc[ch] * scale / hw);
            byte[] q = new byte[c];
            QuantArithmetic.quantizeS8Range(v, 0, c, outScale, outZp, q);
            System.arraycopy(q, 0, y, b * c, c);
        });
    }

    /**
     * Max-pooling of NHWC codes [n, h, w, c] into [n, oh, ow, c] for any window form ({@code Pool2dSpec}: end
     * padding, ceil mode), window positions in the padding skipped (a window wholly outside gives -128, as the
     * kernels' max-pool). Quantisation is monotone, so this is the float max-pool's code exactly. The kernels'
     * max-pool takes symmetric floor-mode windows; this one the rest (SqueezeNet's ceil-mode pools).
     */
    static void maxPool(byte[] x, int n, int h, int w, int c, dev.nncompress.backend.Pool2dSpec s, int oh, int ow, byte[] y) {
        Par.forImages(n * oh, row -> {
            int b = row / oh, oy = row % oh;
            int y0 = Math.max(0, oy * s.strideH() - s.padH()), y1 = Math.min(h, oy * s.strideH() - s.padH() + s.kernelH());
            byte[] m = new byte[c];
            for (int ox = 0; ox < ow; ox++) {
                int x0 = Math.max(0, ox * s.strideW() - s.padW()), x1 = Math.min(w, ox * s.strideW() - s.padW() + s.kernelW());
                java.util.Arrays.fill(m, Byte.MIN_VALUE);
                for (int iy = y0; iy < y1; iy++) {
                    for (int ix = x0; ix < x1; ix++) {
                        int base = ((b * h + iy) * w + ix) * c;
                        for (int ch = 0; ch < c; ch++) if (x[base + ch] > m[ch]) m[ch] = x[base + ch];
                    }
                }
                System.arraycopy(m, 0, y, ((b * oh + oy) * ow + ox) * c, c);
            }
        });
    }

    /** Whether a sample's codes are stored in a different order than NCHW (rank 3 with several channels and positions). */
    static boolean transposed(Shape sample) { return sample.rank() == 3 && sample.dim(0) > 1 && sample.dim(1) * sample.dim(2) > 1; }

    /** int8 codes [n, a, b] to [n, b, a] (NHWC [n, hw, c] to NCHW with a = hw, b = c, and back with a = c, b = hw). */
    static byte[] transpose(byte[] x, int n, int a, int b) {
        byte[] y = new byte[x.length];
        Par.forImages(n, img -> {
            int base = img * a * b;
            for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) y[base + j * a + i] = x[base + i * b + j];
        });
        return y;
    }

    /**
     * Concatenation along storage axis {@code axis} of code tensors {@code parts} (storage shapes
     * {@code shapes}), each passed through its table ({@code null}: copied as is, its parameters are the output's).
     */
    static void concat(byte[][] parts, Shape[] shapes, byte[][] tables, int axis, byte[] y) {
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= shapes[0].dim(d);
        int[] block = new int[parts.length];
        int rowLen = 0;
        for (int i = 0; i < parts.length; i++) {
            block[i] = parts[i].length / outer;
            rowLen += block[i];
        }
        int len = rowLen;
        Par.forImages(outer, o -> {
            int at = o * len;
            for (int i = 0; i < parts.length; i++) {
                int from = o * block[i];
                byte[] t = tables[i];
                if (t == null) System.arraycopy(parts[i], from, y, at, block[i]);
                else for (int j = 0; j < block[i]; j++) y[at + j] = t[parts[i][from + j] + 128];
                at += block[i];
            }
        });
    }
}
