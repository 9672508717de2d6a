package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * numpy/ONNX multidirectional broadcasting of two shapes over the whole tensor (batch dimension
 * included): dims are aligned from the right, a missing or size-1 dim stretches to the other's size,
 * any other difference is an error. So [N, C, H, W] * [N, C, 1, 1] (squeeze-excitation),
 * [N, C, H, W] - [C, 1, 1] (a per-channel constant) and [N, C, H, W] / [1] all broadcast.
 *
 * <p>Besides the output shape it holds the collapsed form the fast loops and kernels walk: size-1
 * output dims dropped and neighbouring dims merged where both operands span or skip them alike, e.g.
 * the squeeze-excitation product becomes [N*C, H*W] with the gate broadcast along the second dim, a
 * per-channel constant [N, C, H*W] broadcast along the first and last. An operand's elements are
 * contiguous in the order of the collapsed dims it spans.
 */
public final class BroadcastGeometry {
    private final Shape out;
    private final int[] dims;
    private final boolean[][] spans; // [operand][collapsed dim]: the operand has that dim (else it is stretched)

    private BroadcastGeometry(Shape out, int[] dims, boolean[][] spans) {
        this.out = out;
        this.dims = dims;
        this.spans = spans;
    }

    /** The broadcast of {@code a} and {@code b}; an IllegalArgumentException naming {@code op} and both shapes when they do not broadcast. */
    public static BroadcastGeometry of(String op, Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        int[] o = new int[r];
        int[] ad = new int[r], bd = new int[r];
        for (int i = 0; i < r; i++) {
            ad[i] = aligned(a, i, r);
            bd[i] = aligned(b, i, r);
            if (ad[i] != bd[i] && ad[i] != 1 && bd[i] != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b + " do not broadcast (dim " + i + " of the aligned shapes: "
                        + ad[i] + " vs " + bd[i] + "; each pair must be equal or one of them 1)");
            }
            o[i] = ad[i] == 1 ? bd[i] : ad[i];
        }
        Shape out = Shape.of(o);
        List<Integer> dims = new ArrayList<>();
        List<boolean[]> pattern = new ArrayList<>();
        if (out.numel() > 0) {
            for (int i = 0; i < r; i++) {
                if (o[i] == 1) continue;
                boolean[] p = {ad[i] == o[i], bd[i] == o[i]};
                int last = dims.size() - 1;
                if (last >= 0 && pattern.get(last)[0] == p[0] && pattern.get(last)[1] == p[1]) {
                    dims.set(last, dims.get(last) * o[i]); // within the output's element count: no overflow
                } else {
                    dims.add(o[i]);
                    pattern.add(p);
                }
            }
        }
        if (dims.isEmpty()) { // one element (or none): a single dim both span
            dims.add(out.numel());
            pattern.add(new boolean[] {true, true});
        }
        boolean[][] spans = new boolean[2][dims.size()];
        for (int i = 0; i < dims.size(); i++) {
            spans[0][i] = pattern.get(i)[0];
            spans[1][i] = pattern.get(i)[1];
        }
        return new BroadcastGeometry(out, dims.stream().mapToInt(Integer::intValue).toArray(), spans);
    }

    private static int aligned(Shape s, int i, int r) {
        int k = i - (r - s.rank());
        return k < 0 ? 1 : s.dim(k);
    }

    /** The output shape. */
    public Shape out() { return out; }

    /** Elements of the output. */
    public int total() { return out.numel(); }

    public boolean isEmpty() { return out.numel() == 0; }

    /** Number of collapsed dims (at least 1). */
    public int rank() { return dims.length; }

    public int dim(int i) { return dims[i]; }

    /** Whether operand 0 (a) or 1 (b) spans collapsed dim {@code i}; if not, it is stretched along it. */
    public boolean spans(int operand, int i) { return spans[operand][i]; }

    /** Bit i set where operand 0 or 1 is stretched along collapsed dim i (what the CUDA kernels take). */
    public int stretchMask(int operand) {
        int m = 0;
        for (int i = 0; i < dims.length; i++) if (!spans[operand][i]) m |= 1 << i;
        return m;
    }

    /** Element strides of operand 0 or 1 along each collapsed dim, 0 where it is stretched. */
    public int[] strides(int operand) {
        int[] s = new int[dims.length];
        int stride = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            if (spans[operand][i]) {
                s[i] = stride;
                stride *= dims[i];
            }
        }
        return s;
    }

    /** Output elements per element of operand 0 or 1: how many terms its gradient sums. */
    public int termsPerElement(int operand) {
        int m = 1;
        for (int i = 0; i < dims.length; i++) if (!spans[operand][i]) m *= dims[i];
        return m;
    }
}
