package dev.nncompress.io.onnx;

import dev.nncompress.backend.Pool2dSpec;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The window of an ONNX MaxPool or AveragePool as our pools' attributes ({@link Pool2dSpec}): kernel, strides
 * and pads (which may differ at the start and the end of an axis; auto_pad resolved) read by {@link Window}, the
 * one reader of Conv's and the pools' windows, then ceil_mode and count_include_pad. Refused by name: dilation
 * other than 1 and a SAME window smaller than its stride ({@link Window}), a pad of the window's size or more (a
 * window could then hold padding only). ceil_mode and count_include_pad are written only where they change
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
        Window win = Window.pool(a, where, h, w);
        int kh = win.kernelH(), kw = win.kernelW(), sh = win.strideH(), sw = win.strideW();
        int[] pads = win.pads(); // top, left, bottom, right
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
}
