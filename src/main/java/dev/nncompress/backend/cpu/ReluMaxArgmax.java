package dev.nncompress.backend.cpu;

import dev.nncompress.backend.PoolGeometry;

import static dev.nncompress.backend.cpu.Mem.get;
import static dev.nncompress.backend.cpu.Mem.put;

/**
 * maxPool2d(relu(x)) over plain 2x2 windows ({@link CpuPool#isPlain2x2}) recording each window's argmax, and the backward
 * that scatters by it (issue 23: the max-pool forward records its argmax so that the backward does not recompute it).
 * The window's first maximum and ReLU's mask are found exactly as {@link CpuPool#reluMax2x2}'s backward finds them, once,
 * in the forward; the backward then reads one index and one gradient per window instead of the window's four inputs,
 * and writes the same bits.
 */
final class ReluMaxArgmax {
    private ReluMaxArgmax() {}

    /** out = the pooled maxima, idx = the window position (0..3, as a float) whose gradient flows, or -1 (ReLU's mask). */
    static void forward(PoolGeometry g, long x, long out, long idx) {
        int h = g.h();
        int w = g.w();
        int oh = g.oh();
        int ow = g.ow();
        CpuPar.forRange(g.planes(), CpuPool.minPlanes(g), 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                long plane = x + 4L * p * h * w;
                long o = (long) p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    long r0 = plane + 8L * oy * w;
                    long r1 = r0 + 4L * w;
                    for (int ox = 0; ox < ow; ox++, o++) {
                        long c = 8L * ox;
                        // as CpuLoops.relu: NaN stays NaN, -0 becomes 0
                        float a = Math.max(Mem.U.getFloat(r0 + c), 0f);
                        float b = Math.max(Mem.U.getFloat(r0 + c + 4), 0f);
                        float cc = Math.max(Mem.U.getFloat(r1 + c), 0f);
                        float d = Math.max(Mem.U.getFloat(r1 + c + 4), 0f);
                        float m = Math.max(Math.max(a, b), Math.max(cc, d)); // a NaN wins
                        put(out, o, m);
                        int at = CpuPool.windowArgmax2x2(g, plane, oy, ox, a, b, cc, d, m);
                        // ReLU's mask on the maximum, as CpuLoops.reluBackward: all ones iff m > 0 (+inf included, NaN not);
                        // branch-free, as whether a ReLU output is positive is a coin toss the predictor loses
                        int mb = Float.floatToRawIntBits(m);
                        int flows = ((mb - 0x7f800001) & (0 - mb)) >> 31;
                        put(idx, o, (float) ((at & flows) | ~flows));
                    }
                }
            }
        });
    }

    /** dx [planes, h, w] from gradOut by idx: the gradient's bits at the recorded position, +0 elsewhere (and in a left-over row or column). */
    static void backward(PoolGeometry g, long idx, long gradOut, long dx) {
        int h = g.h();
        int w = g.w();
        int oh = g.oh();
        int ow = g.ow();
        CpuPar.forRange(g.planes(), CpuPool.minPlanes(g), 1, (p0, p1) -> {
            if (h % 2 != 0 || w % 2 != 0) Mem.zero(dx + 4L * p0 * h * w, (long) (p1 - p0) * h * w);
            for (int p = p0; p < p1; p++) {
                long dplane = dx + 4L * p * h * w;
                long o = (long) p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    long d0 = dplane + 8L * oy * w;
                    long d1 = d0 + 4L * w;
                    for (int ox = 0; ox < ow; ox++, o++) {
                        int at = (int) get(idx, o); // -1: no position matches
                        int gb = Float.floatToRawIntBits(get(gradOut, o));
                        long c = 8L * ox;
                        Mem.U.putInt(d0 + c, at == 0 ? gb : 0);
                        Mem.U.putInt(d0 + c + 4, at == 1 ? gb : 0);
                        Mem.U.putInt(d1 + c, at == 2 ? gb : 0);
                        Mem.U.putInt(d1 + c + 4, at == 3 ? gb : 0);
                    }
                }
            }
        });
    }
}
