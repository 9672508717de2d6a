package dev.nncompress.io.onnx;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.graph.AttrSpec;

/**
 * The 2-D window attributes of Conv, MaxPool and AveragePool (kernel_shape, strides, dilations, pads, auto_pad)
 * reduced to explicit numbers, the one place that reads them: a stride, a dilation and the padding of each side per
 * axis ({@code padH}/{@code padW} top and left, as ONNX's pads begin values). Since our input sizes are static,
 * {@code auto_pad} is resolved here into explicit pads: VALID is none; SAME_UPPER and SAME_LOWER pad
 * (ceil(in / stride) - 1) * stride + dilated kernel - in in all, the odd one at the end (UPPER) or the beginning
 * (LOWER), as ONNX Runtime does. Where that total is negative (a window narrower than its stride) Conv pads
 * nothing, as ONNX Runtime's conv clamps it at 0; a pool refuses it, since ONNX Runtime's pool kernel would pad
 * by a negative amount. The pools' own options (ceil_mode, count_include_pad) are {@link PoolWindow}'s.
 */
record Window(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int padBottom, int padRight, int dilationH,
              int dilationW) {

    /** A Conv's window for an input of {@code h} x {@code w}; {@code kernel} is the weight's, which the attribute (if present) must agree with. */
    static Window conv(Attrs a, String where, int h, int w, int[] kernel) { return read(a, where, h, w, kernel, false); }

    /** A MaxPool's or AveragePool's window (kernel_shape required; no dilation) for an input of {@code h} x {@code w}. */
    static Window pool(Attrs a, String where, int h, int w) { return read(a, where, h, w, null, true); }

    private static Window read(Attrs a, String where, int h, int w, int[] kernel, boolean pool) {
        long[] ks = a.ints("kernel_shape");
        int kh, kw;
        if (kernel != null) {
            kh = kernel[0];
            kw = kernel[1];
            if (ks != null && (ks.length != 2 || ks[0] != kh || ks[1] != kw)) {
                throw new IllegalArgumentException(where + ": kernel_shape " + java.util.Arrays.toString(ks) + " disagrees with the weight's " + kh + "x" + kw);
            }
        } else {
            if (ks == null) throw new IllegalArgumentException(where + " lacks attribute kernel_shape");
            if (ks.length != 2) throw new IllegalArgumentException(where + ": kernel_shape has " + ks.length + " dims; only 2-D windows are supported");
            kh = bounded(ks[0], 1, "kernel_shape", where);
            kw = bounded(ks[1], 1, "kernel_shape", where);
        }
        long[] st = pair(a.ints("strides"), "strides", where, 1);
        int sh = bounded(st[0], 1, "strides", where), sw = bounded(st[1], 1, "strides", where);
        long[] dil = pair(a.ints("dilations"), "dilations", where, 1);
        if (pool && (dil[0] != 1 || dil[1] != 1)) {
            throw new IllegalArgumentException(where + " has dilations " + dil[0] + "x" + dil[1] + "; dilated pooling windows are not supported");
        }
        int dh = bounded(dil[0], 1, "dilations", where), dw = bounded(dil[1], 1, "dilations", where);
        String autoPad = a.string("auto_pad", "NOTSET");
        long[] pads = a.ints("pads");
        int[] padsH, padsW; // {begin, end} per axis
        switch (autoPad) {
            case "NOTSET", "VALID" -> {
                if (pads != null && autoPad.equals("VALID")) throw new IllegalArgumentException(where + " has both auto_pad VALID and pads");
                long[] p = pads == null ? new long[4] : pads;
                if (p.length != 4) throw new IllegalArgumentException(where + ": pads has " + p.length + " values, expected 4 (top, left, bottom, right)");
                for (long v : p) bounded(v, 0, "pads", where);
                padsH = new int[] {(int) p[0], (int) p[2]};
                padsW = new int[] {(int) p[1], (int) p[3]};
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                if (pads != null) throw new IllegalArgumentException(where + " has both auto_pad " + autoPad + " and pads");
                boolean lower = autoPad.equals("SAME_LOWER");
                padsH = samePads(h, kh, sh, dh, lower, pool, where);
                padsW = samePads(w, kw, sw, dw, lower, pool, where);
            }
            default -> throw new IllegalArgumentException(where + ": auto_pad " + dev.nncompress.util.Quoted.of(autoPad) + " is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        }
        return new Window(kh, kw, sh, sw, padsH[0], padsW[0], padsH[1], padsW[1], dh, dw);
    }

    /** The convolution of this window with {@code groups} groups (conv family, issue 17). */
    Conv2dSpec convSpec(int groups) { return new Conv2dSpec(strideH, strideW, padH, padW, padBottom, padRight, dilationH, dilationW, groups); }

    /** The pads as {top, left, bottom, right}. */
    int[] pads() { return new int[] {padH, padW, padBottom, padRight}; }

    /**
     * SAME padding {begin, end} for an input of {@code in}: total = (ceil(in/s) - 1) s + (k - 1) d + 1 - in, split in
     * halves with the odd one at the end (SAME_UPPER) or the beginning (SAME_LOWER); a negative total is 0 for Conv and
     * refused for a pool (see the class comment).
     */
    private static int[] samePads(int in, int k, int s, int d, boolean lower, boolean pool, String where) {
        long out = (in + (long) s - 1) / s;
        long total = (out - 1) * s + (long) d * (k - 1) + 1 - in;
        if (total < 0 && pool) {
            throw new IllegalArgumentException(where + ": auto_pad SAME with a " + k + "-wide window and stride " + s + " on " + in
                    + " would pad by " + total + "; a SAME window smaller than its stride is not supported");
        }
        total = Math.max(total, 0);
        long begin = lower ? (total + 1) / 2 : total / 2;
        return new int[] {bounded(begin, 0, "auto_pad padding", where), bounded(total - begin, 0, "auto_pad padding", where)};
    }

    private static long[] pair(long[] v, String name, String where, long fallback) {
        if (v == null) return new long[] {fallback, fallback};
        if (v.length != 2) throw new IllegalArgumentException(where + ": " + name + " has " + v.length + " values; only 2-D windows are supported");
        return v;
    }

    private static int bounded(long v, int min, String name, String where) {
        if (v < min || v > AttrSpec.MAX_WINDOW) {
            throw new IllegalArgumentException(where + ": " + name + " value " + v + " is not in [" + min + ", " + AttrSpec.MAX_WINDOW + "]");
        }
        return (int) v;
    }
}
