package dev.nncompress.io.onnx;

import dev.nncompress.graph.AttrSpec;

/**
 * The 2-D window attributes shared by Conv, MaxPool and AveragePool (kernel_shape, strides, pads,
 * auto_pad, dilations, ceil_mode) reduced to what our ops take: one stride and one symmetric padding
 * per axis. What our ops cannot express is refused by name: asymmetric padding (an {@code auto_pad}
 * SAME whose total padding is odd included), dilation, and {@code ceil_mode=1} where it changes the
 * output size. Since our input sizes are static, SAME padding and ceil_mode are resolved exactly here.
 */
record Window(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {

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
        if (dil[0] != 1 || dil[1] != 1) {
            throw new IllegalArgumentException(where + " has dilations " + dil[0] + "x" + dil[1] + "; dilated windows are not supported yet (later slice of issue 17)");
        }
        String autoPad = a.string("auto_pad", "NOTSET");
        long[] pads = a.ints("pads");
        int ph, pw;
        switch (autoPad) {
            case "NOTSET", "VALID" -> {
                if (pads != null && autoPad.equals("VALID")) throw new IllegalArgumentException(where + " has both auto_pad VALID and pads");
                long[] p = pads == null ? new long[4] : pads;
                if (p.length != 4) throw new IllegalArgumentException(where + ": pads has " + p.length + " values, expected 4 (top, left, bottom, right)");
                for (long v : p) bounded(v, 0, "pads", where);
                if (p[0] != p[2] || p[1] != p[3]) {
                    throw new IllegalArgumentException(where + " has asymmetric pads " + java.util.Arrays.toString(p)
                            + " (top, left, bottom, right); only symmetric padding is supported yet (later slice of issue 17)");
                }
                ph = (int) p[0];
                pw = (int) p[1];
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                if (pads != null) throw new IllegalArgumentException(where + " has both auto_pad " + autoPad + " and pads");
                ph = samePad(h, kh, sh, where, autoPad);
                pw = samePad(w, kw, sw, where, autoPad);
            }
            default -> throw new IllegalArgumentException(where + ": auto_pad " + dev.nncompress.util.Quoted.of(autoPad) + " is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        }
        long ceil = a.integer("ceil_mode", 0);
        if (ceil != 0) {
            boolean exact = ceil == 1 && allowCeil && (h + 2L * ph - kh) % sh == 0 && (w + 2L * pw - kw) % sw == 0;
            if (!exact) {
                throw new IllegalArgumentException(where + " has ceil_mode " + ceil + ", which changes the output size of this "
                        + h + "x" + w + " input; ceil_mode is not supported yet (later slice of issue 17)");
            }
        }
        return new Window(kh, kw, sh, sw, ph, pw);
    }

    /** Our attributes: stride_h, stride_w, pad_h, pad_w (+ kernel_h, kernel_w for pools). */
    java.util.Map<String, Double> attrs(boolean withKernel) {
        java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
        if (withKernel) {
            m.put("kernel_h", (double) kernelH);
            m.put("kernel_w", (double) kernelW);
        }
        m.put("stride_h", (double) strideH);
        m.put("stride_w", (double) strideW);
        m.put("pad_h", (double) padH);
        m.put("pad_w", (double) padW);
        return m;
    }

    /** SAME padding for an input of {@code in}: total = max((ceil(in/s) - 1) s + k - in, 0), which must split evenly. */
    private static int samePad(int in, int k, int s, String where, String mode) {
        long out = (in + (long) s - 1) / s;
        long total = Math.max((out - 1) * s + k - in, 0);
        if (total % 2 != 0) {
            throw new IllegalArgumentException(where + ": auto_pad " + mode + " pads " + total + " in all on an axis of " + in
                    + ", which is asymmetric; only symmetric padding is supported yet (later slice of issue 17)");
        }
        return (int) (total / 2);
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
