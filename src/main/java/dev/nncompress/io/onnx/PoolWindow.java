package dev.nncompress.io.onnx;

import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.graph.AttrSpec;
import dev.nncompress.util.Quoted;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The window of an ONNX MaxPool or AveragePool (kernel_shape, strides, pads, auto_pad, ceil_mode,
 * count_include_pad, dilations) as our pools' attributes ({@link Pool2dSpec}). Pads may differ at the
 * start and the end of an axis; auto_pad SAME_UPPER / SAME_LOWER is resolved here, since input sizes are
 * static (the total padding (ceil(in / s) - 1) s + k - in, the odd one at the end for UPPER, at the start
 * for LOWER, as ONNX Runtime). Refused by name: dilation other than 1, a pad of the window's size or
 * more (a window could then hold padding only), a SAME window smaller than its stride (ONNX Runtime
 * would pad by a negative amount). ceil_mode and count_include_pad are written only where they change
 * the result, so that a pool that does not need them stays on the paths that lack them (cuDNN, the int8
 * max-pool). count_include_pad divides by the window clipped to the padded input, as PyTorch and
 * AveragePool-19; ONNX Runtime's opset 11-18 kernel divides a ceil-mode window that runs past the end
 * padding by the whole window (microsoft/onnxruntime#16203, fixed for opset 19 only).
 */
final class PoolWindow {
    private PoolWindow() {}

    /** The attribute names an ONNX pool of this kind may carry. */
    static java.util.Set<String> names(boolean max) {
        return max ? Attrs.of("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides")
                : Attrs.of("auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides");
    }

    /** Our MAXPOOL2D / AVGPOOL2D attributes for an input of h x w. */
    static Map<String, Double> read(Attrs a, String where, int h, int w, boolean max) {
        long[] ks = a.ints("kernel_shape");
        if (ks == null) throw new IllegalArgumentException(where + " lacks attribute kernel_shape");
        if (ks.length != 2) throw new IllegalArgumentException(where + ": kernel_shape has " + ks.length + " dims; only 2-D windows are supported");
        int kh = bounded(ks[0], 1, "kernel_shape", where), kw = bounded(ks[1], 1, "kernel_shape", where);
        long[] st = pair(a.ints("strides"), "strides", where);
        int sh = bounded(st[0], 1, "strides", where), sw = bounded(st[1], 1, "strides", where);
        long[] dil = pair(a.ints("dilations"), "dilations", where);
        if (dil[0] != 1 || dil[1] != 1) {
            throw new IllegalArgumentException(where + " has dilations " + dil[0] + "x" + dil[1] + "; dilated pooling windows are not supported");
        }
        int[] pads = pads(a, where, h, w, kh, kw, sh, sw); // top, left, bottom, right
        long ceil = a.integer("ceil_mode", 0), include = max ? 0 : a.integer("count_include_pad", 0);
        if (ceil != 0 && ceil != 1) throw new IllegalArgumentException(where + ": ceil_mode " + ceil + " is not 0 or 1");
        if (include != 0 && include != 1) throw new IllegalArgumentException(where + ": count_include_pad " + include + " is not 0 or 1");
        for (int i = 0; i < 4; i++) {
            int k = i % 2 == 0 ? kh : kw;
            if (pads[i] >= k) {
                throw new IllegalArgumentException(where + " pads " + Arrays.toString(pads) + " (top, left, bottom, right) around a " + kh + "x" + kw
                        + " window; a pad of the window's size or more (a window of padding only) is not supported");
            }
        }
        Pool2dSpec floor = new Pool2dSpec(kh, kw, sh, sw, pads[0], pads[1], pads[2], pads[3], false, include == 1);
        boolean ceilMatters;
        try {
            ceilMatters = ceil == 1 && (floor.outH(h) != ceilSpec(floor).outH(h) || floor.outW(w) != ceilSpec(floor).outW(w));
            floor.outH(h); // the window must fit the padded input
            floor.outW(w);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " on a " + h + "x" + w + " input: " + e.getMessage(), e);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("kernel_h", (double) kh);
        m.put("kernel_w", (double) kw);
        m.put("stride_h", (double) sh);
        m.put("stride_w", (double) sw);
        m.put("pad_h", (double) pads[0]);
        m.put("pad_w", (double) pads[1]);
        if (pads[2] != pads[0]) m.put("pad_bottom", (double) pads[2]);
        if (pads[3] != pads[1]) m.put("pad_right", (double) pads[3]);
        if (ceilMatters) m.put("ceil_mode", 1.0);
        // without padding, counting it changes nothing: the window clipped to the padded input is the input part
        if (include == 1 && (pads[0] | pads[1] | pads[2] | pads[3]) != 0) m.put("count_include_pad", 1.0);
        return m;
    }

    private static Pool2dSpec ceilSpec(Pool2dSpec s) {
        return new Pool2dSpec(s.kernelH(), s.kernelW(), s.strideH(), s.strideW(), s.padH(), s.padW(), s.padBottom(), s.padRight(), true,
                s.countIncludePad());
    }

    /** {top, left, bottom, right} from pads or auto_pad. */
    private static int[] pads(Attrs a, String where, int h, int w, int kh, int kw, int sh, int sw) {
        String autoPad = a.string("auto_pad", "NOTSET");
        long[] pads = a.ints("pads");
        switch (autoPad) {
            case "NOTSET", "VALID" -> {
                if (pads != null && autoPad.equals("VALID")) throw new IllegalArgumentException(where + " has both auto_pad VALID and pads");
                if (pads == null) return new int[4];
                if (pads.length != 4) throw new IllegalArgumentException(where + ": pads has " + pads.length + " values, expected 4 (top, left, bottom, right)");
                int[] p = new int[4];
                for (int i = 0; i < 4; i++) p[i] = bounded(pads[i], 0, "pads", where);
                return p;
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                if (pads != null) throw new IllegalArgumentException(where + " has both auto_pad " + autoPad + " and pads");
                boolean upper = autoPad.equals("SAME_UPPER");
                int[] y = same(h, kh, sh, upper, where), x = same(w, kw, sw, upper, where);
                return new int[] {y[0], x[0], y[1], x[1]};
            }
            default -> throw new IllegalArgumentException(where + ": auto_pad " + Quoted.of(autoPad) + " is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        }
    }

    /** {begin, end} SAME padding of one axis: total (ceil(in / s) - 1) s + k - in, the odd one at the end (UPPER) or the start (LOWER). */
    private static int[] same(int in, int k, int s, boolean upper, String where) {
        long out = (in + (long) s - 1) / s;
        long total = (out - 1) * s + k - in;
        if (total < 0) {
            throw new IllegalArgumentException(where + ": auto_pad SAME with a " + k + "-wide window and stride " + s + " on " + in
                    + " would pad by " + total + "; a SAME window smaller than its stride is not supported");
        }
        int small = (int) (total / 2), large = (int) (total - small);
        return upper ? new int[] {small, large} : new int[] {large, small};
    }

    private static long[] pair(long[] v, String name, String where) {
        if (v == null) return new long[] {1, 1};
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
