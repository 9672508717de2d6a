package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Binary;
import dev.nncompress.backend.BroadcastGeometry;
import dev.nncompress.backend.ref.RefBroadcast;

/**
 * Broadcasting arithmetic ({@link Binary}) as Java loops over off-heap memory, on the collapsed
 * {@link BroadcastGeometry}: the output is walked in segments along its last collapsed dim, where each
 * operand is either a contiguous run or one value, so every case is one of three vectorisable array
 * loops: run op run (same shapes), run op value (a per-channel or scalar constant, a squeeze-excitation
 * gate: [N*C, H*W] x [N*C, 1]) and value op run. Forward is the reference's float operation, bit for
 * bit; a gradient that sums nothing is the reference's term rounded once, one that sums is summed in
 * double in a fixed number of parts (so the bits do not depend on the thread count), within 1e-6 of the
 * reference's order. Large tensors are split over the cores.
 */
final class CpuBroadcast {
    /** Most doubles the per-part partial sums of one backward may take (32 MiB). */
    private static final int MAX_PARTIAL_DOUBLES = 1 << 22;
    /** Most parts of a summing backward, and the output elements per part below which fewer are used. */
    private static final int MAX_PARTS = 16;
    private static final int MIN_PART = 1 << 16;

    private CpuBroadcast() {}

    /** One segment: output elements [e, e + len) in one row of the last collapsed dim, and where each operand's values start. */
    private record Segment(int e, int len, long a, long b) {}

    /** Walks output elements [from, to) segment by segment. */
    private static void segments(BroadcastGeometry g, int from, int to, java.util.function.Consumer<Segment> body) {
        int r = g.rank(), inner = g.dim(r - 1);
        int[] sa = g.strides(0), sb = g.strides(1);
        boolean aRun = g.spans(0, r - 1), bRun = g.spans(1, r - 1);
        for (int e = from; e < to; ) {
            int row = e / inner, col = e % inner;
            int len = Math.min(Math.min(inner - col, to - e), CpuLoops.CHUNK);
            body.accept(new Segment(e, len, rowOffset(g, row, sa) + (aRun ? col : 0), rowOffset(g, row, sb) + (bRun ? col : 0)));
            e += len;
        }
    }

    /** Element offset in an operand of strides {@code s} of output row {@code row} (an index over all collapsed dims but the last). */
    private static long rowOffset(BroadcastGeometry g, int row, int[] s) {
        long o = 0;
        for (int i = g.rank() - 2; i >= 0; i--) {
            int d = g.dim(i);
            o += (long) (row % d) * s[i];
            row /= d;
        }
        return o;
    }

    static void forward(Binary kind, BroadcastGeometry g, long a, long b, long out) {
        int r = g.rank();
        boolean aRun = g.spans(0, r - 1), bRun = g.spans(1, r - 1);
        CpuPar.forElements(g.total(), (from, to) -> {
            float[][] f = CpuLoops.buffers();
            float[] x = f[0], y = f[1];
            segments(g, from, to, s -> {
                if (aRun) Mem.toArray(a, s.a(), x, 0, s.len());
                if (bRun) Mem.toArray(b, s.b(), y, 0, s.len());
                if (aRun && bRun) runs(kind, x, y, s.len());
                else if (aRun) runValue(kind, x, Mem.get(b, s.b()), s.len());
                else valueRun(kind, Mem.get(a, s.a()), y, x, s.len());
                Mem.fromArray(x, 0, out, s.e(), s.len());
            });
        });
    }

    /** x = x op y. */
    private static void runs(Binary kind, float[] x, float[] y, int n) {
        switch (kind) {
            case ADD -> { for (int i = 0; i < n; i++) x[i] += y[i]; }
            case SUB -> { for (int i = 0; i < n; i++) x[i] -= y[i]; }
            case MUL -> { for (int i = 0; i < n; i++) x[i] *= y[i]; }
            case DIV -> { for (int i = 0; i < n; i++) x[i] /= y[i]; }
        }
    }

    /** x = x op v. */
    private static void runValue(Binary kind, float[] x, float v, int n) {
        switch (kind) {
            case ADD -> { for (int i = 0; i < n; i++) x[i] += v; }
            case SUB -> { for (int i = 0; i < n; i++) x[i] -= v; }
            case MUL -> { for (int i = 0; i < n; i++) x[i] *= v; }
            case DIV -> { for (int i = 0; i < n; i++) x[i] /= v; } // not * (1/v): one rounding, as the reference
        }
    }

    /** out = v op y. */
    private static void valueRun(Binary kind, float v, float[] y, float[] out, int n) {
        switch (kind) {
            case ADD -> { for (int i = 0; i < n; i++) out[i] = v + y[i]; }
            case SUB -> { for (int i = 0; i < n; i++) out[i] = v - y[i]; }
            case MUL -> { for (int i = 0; i < n; i++) out[i] = v * y[i]; }
            case DIV -> { for (int i = 0; i < n; i++) out[i] = v / y[i]; }
        }
    }

    /** The gradient of operand 0 (a) or 1 (b) into {@code dx} (its shape), from dL/dout {@code grad}. */
    static void backward(Binary kind, int operand, BroadcastGeometry g, long a, long b, long grad, long dx, int operandSize) {
        if (g.termsPerElement(operand) == 1) {
            // the operand spans the output: its element e is output element e, one term each
            CpuPar.forElements(g.total(), (from, to) -> segments(g, from, to, s -> terms(kind, operand, g, s, a, b, grad, dx)));
            return;
        }
        int total = g.total();
        int parts = Math.max(1, Math.min(Math.min(MAX_PARTS, total / MIN_PART), MAX_PARTIAL_DOUBLES / Math.max(1, operandSize)));
        int step = (total + parts - 1) / parts;
        double[][] partial = new double[parts][operandSize];
        boolean run = g.spans(operand, g.rank() - 1);
        CpuPar.forRange(parts, 1, 1, (p0, p1) -> {
            float[][] f = CpuLoops.buffers();
            float[] gv = f[0], av = f[1], bv = f[2];
            for (int p = p0; p < p1; p++) {
                double[] acc = partial[p];
                segments(g, Math.min(total, p * step), Math.min(total, (p + 1) * step), s -> {
                    int n = s.len();
                    load(g, s, a, b, grad, gv, av, bv);
                    int at = (int) (operand == 0 ? s.a() : s.b());
                    if (run) {
                        for (int i = 0; i < n; i++) acc[at + i] += term(kind, operand, gv[i], av, bv, i);
                    } else {
                        double sum = 0;
                        for (int i = 0; i < n; i++) sum += term(kind, operand, gv[i], av, bv, i);
                        acc[at] += sum;
                    }
                });
            }
        });
        float[] out = new float[operandSize];
        for (int i = 0; i < operandSize; i++) {
            double sum = 0;
            for (double[] acc : partial) sum += acc[i];
            out[i] = (float) sum;
        }
        Mem.fromArray(out, 0, dx, 0, operandSize);
    }

    /** dx[e] = term, rounded once, for the segment's output elements (the operand spans the output). */
    private static void terms(Binary kind, int operand, BroadcastGeometry g, Segment s, long a, long b, long grad, long dx) {
        float[][] f = CpuLoops.buffers();
        float[] gv = f[0], av = f[1], bv = f[2], out = f[3];
        load(g, s, a, b, grad, gv, av, bv);
        int n = s.len();
        if (kind == Binary.ADD || (kind == Binary.SUB && operand == 0)) {
            System.arraycopy(gv, 0, out, 0, n);
        } else {
            for (int i = 0; i < n; i++) out[i] = (float) term(kind, operand, gv[i], av, bv, i);
        }
        Mem.fromArray(out, 0, dx, s.e(), n);
    }

    /** gv = the segment's dL/dout; av, bv = each operand's run, or its one value repeated. */
    private static void load(BroadcastGeometry g, Segment s, long a, long b, long grad, float[] gv, float[] av, float[] bv) {
        int n = s.len(), last = g.rank() - 1;
        Mem.toArray(grad, s.e(), gv, 0, n);
        if (g.spans(0, last)) Mem.toArray(a, s.a(), av, 0, n); else java.util.Arrays.fill(av, 0, n, Mem.get(a, s.a()));
        if (g.spans(1, last)) Mem.toArray(b, s.b(), bv, 0, n); else java.util.Arrays.fill(bv, 0, n, Mem.get(b, s.b()));
    }

    private static double term(Binary kind, int operand, float g, float[] av, float[] bv, int i) {
        return RefBroadcast.term(kind, operand, g, av[i], bv[i]);
    }
}
