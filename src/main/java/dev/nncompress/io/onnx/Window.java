package dev.nncompress.io.onnx;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.graph.AttrSpec;

/**
 * The 2-D window attributes shared by Conv, MaxPool and AveragePool (kernel_shape, strides, pads,
 * auto_pad, dilations, ceil_mode) reduced to explicit numbers: a stride, a dilation and the padding of
 * each side per axis ({@code padH}/{@code padW} top and left, as ONNX's pads begin values). Since our
 * input sizes are static, {@code auto_pad} is resolved here into explicit pads: VALID is none; SAME_UPPER
 * and SAME_LOWER pad max(0, (ceil(in / stride) - 1) * stride + dilated kernel - in) in all, the odd one
 * at the end (UPPER) or the beginning (LOWER), as ONNX Runtime does. What the caller's op cannot
 * express it refuses by name (the pools: dilation and asymmetric padding); {@code ceil_mode=1} is
 * refused where it changes the output size.
 */
record Window(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int padBottom, int padRight, int dilationH,
              int dilationW) {

    /**
     * Reads the window of {@code a} for an input of {@code h} x {@code w}; {@code kernel} is the weight's
     * kernel for a Conv (the attribute, if present, must agree) or null for a pool (the attribute is required).
     */
    static Window read(Attrs a, String where, int h, int w, int[] kernel, boolean allowCeil) {
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
                padsH = samePads(h, kh, sh, dh, lower, where);
                padsW = samePads(w, kw, sw, dw, lower, where);
            }
            default -> throw new IllegalArgumentException(where + ": auto_pad " + dev.nncompress.util.Quoted.of(autoPad) + " is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        }
        long ceil = a.integer("ceil_mode", 0);
        if (ceil != 0) {
            boolean exact = ceil == 1 && allowCeil && ((long) h + padsH[0] + padsH[1] - kh) % sh == 0 && ((long) w + padsW[0] + padsW[1] - kw) % sw == 0;
            if (!exact) {
                throw new IllegalArgumentException(where + " has ceil_mode " + ceil + ", which changes the output size of this "
                        + h + "x" + w + " input; ceil_mode is not supported yet (later slice of issue 17)");
            }
        }
        return new Window(kh, kw, sh, sw, padsH[0], padsW[0], padsH[1], padsW[1], dh, dw);
    }

    boolean symmetricPads() { return padH == padBottom && padW == padRight; }

    /** The convolution of this window with {@code groups} groups (conv family, issue 17). */
    Conv2dSpec convSpec(int groups) { return new Conv2dSpec(strideH, strideW, padH, padW, padBottom, padRight, dilationH, dilationW, groups); }

    /** Our pool attributes: kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w (symmetric, checked by the pool mapper). */
    java.util.Map<String, Double> attrs() {
        java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
        m.put("kernel_h", (double) kernelH);
        m.put("kernel_w", (double) kernelW);
        m.put("stride_h", (double) strideH);
        m.put("stride_w", (double) strideW);
        m.put("pad_h", (double) padH);
        m.put("pad_w", (double) padW);
        return m;
    }

    /**
     * SAME padding {begin, end} for an input of {@code in}: total = max((ceil(in/s) - 1) s + (k - 1) d + 1 - in, 0),
     * split in halves with the odd one at the end (SAME_UPPER) or the beginning (SAME_LOWER).
     */
    private static int[] samePads(int in, int k, int s, int d, boolean lower, String where) {
        long out = (in + (long) s - 1) / s;
        long total = Math.max((out - 1) * s + (long) d * (k - 1) + 1 - in, 0);
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
