package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ConcatGeometry;
import dev.nncompress.backend.ReduceGeometry;

import static dev.nncompress.backend.cpu.Mem.get;
import static dev.nncompress.backend.cpu.Mem.put;

/**
 * Concatenation, its split and the mean over consecutive dims on off-heap memory. Concat and split are
 * row copies (memcpy through Unsafe) split over rows when large; the means sum in double in the
 * reference's order (r ascending per output), so they are bit-identical to it, vectorisable over the
 * inner dims through a per-thread double accumulator.
 */
final class CpuShapes {
    private CpuShapes() {}

    private static final ThreadLocal<double[]> ACC = ThreadLocal.withInitial(() -> new double[CpuLoops.CHUNK]);
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[CpuLoops.CHUNK]);

    /** dst[r * dstStride + dstOffset + c] = src[r * srcStride + srcOffset + c] for r < rows, c < cols (element strides). */
    static void copyBlock(long src, int srcStride, int srcOffset, long dst, int dstStride, int dstOffset, int rows, int cols) {
        if (rows == 0 || cols == 0) return;
        CpuPar.forRange(rows, Math.max(1, CpuPar.MIN_PARALLEL / cols), 1, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                Mem.copy(src + 4L * ((long) r * srcStride + srcOffset), dst + 4L * ((long) r * dstStride + dstOffset), cols);
            }
        });
    }

    static void concat(ConcatGeometry g, long[] parts, long out) {
        for (int i = 0; i < g.parts(); i++) copyBlock(parts[i], g.inner(i), 0, out, g.rowLength(), g.offset(i), g.outer(), g.inner(i));
    }

    static void split(ConcatGeometry g, long x, long[] parts) {
        for (int i = 0; i < g.parts(); i++) copyBlock(x, g.rowLength(), g.offset(i), parts[i], g.inner(i), 0, g.outer(), g.inner(i));
    }

    /** y[o, i] = (sum over r of x[o, r, i], in double) / reduce. */
    static void mean(ReduceGeometry g, long x, long y) {
        int reduce = g.reduce(), inner = g.inner();
        CpuPar.forRange(g.outer(), Math.max(1, CpuPar.MIN_PARALLEL / Math.max(1, reduce * inner)), 1, (o0, o1) -> {
            double[] acc = ACC.get();
            float[] row = ROW.get();
            for (int o = o0; o < o1; o++) {
                if (inner == 1) { // a mean over the last dims: one contiguous run per output
                    double s = 0;
                    for (int r0 = 0; r0 < reduce; r0 += CpuLoops.CHUNK) {
                        int len = Math.min(CpuLoops.CHUNK, reduce - r0);
                        Mem.toArray(x, (long) o * reduce + r0, row, 0, len);
                        for (int r = 0; r < len; r++) s += row[r];
                    }
                    put(y, o, (float) (s / reduce));
                    continue;
                }
                for (int i0 = 0; i0 < inner; i0 += CpuLoops.CHUNK) {
                    int len = Math.min(CpuLoops.CHUNK, inner - i0);
                    java.util.Arrays.fill(acc, 0, len, 0.0);
                    for (int r = 0; r < reduce; r++) {
                        Mem.toArray(x, ((long) o * reduce + r) * inner + i0, row, 0, len);
                        for (int i = 0; i < len; i++) acc[i] += row[i];
                    }
                    for (int i = 0; i < len; i++) put(y, (long) o * inner + i0 + i, (float) (acc[i] / reduce));
                }
            }
        });
    }

    /** dx[o, r, i] = gy[o, i] / reduce, the quotient in double rounded once (the reference's). */
    static void meanBackward(ReduceGeometry g, long gy, long dx) {
        int reduce = g.reduce(), inner = g.inner();
        CpuPar.forRange(g.outer(), Math.max(1, CpuPar.MIN_PARALLEL / Math.max(1, reduce * inner)), 1, (o0, o1) -> {
            float[] row = ROW.get();
            for (int o = o0; o < o1; o++) {
                for (int i0 = 0; i0 < inner; i0 += CpuLoops.CHUNK) {
                    int len = Math.min(CpuLoops.CHUNK, inner - i0);
                    for (int i = 0; i < len; i++) row[i] = (float) ((double) get(gy, (long) o * inner + i0 + i) / reduce);
                    for (int r = 0; r < reduce; r++) Mem.fromArray(row, 0, dx, ((long) o * reduce + r) * inner + i0, len);
                }
            }
        });
    }
}
