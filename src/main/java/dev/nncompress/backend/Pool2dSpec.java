package dev.nncompress.backend;

/**
 * Window geometry of a 2-D max or average pool over NCHW input, as ONNX and PyTorch describe it.
 * Padding may differ at the start ({@code padH} rows above, {@code padW} columns left: where the first
 * window starts) and at the end ({@code padBottom}, {@code padRight}); each is smaller than the window
 * along its axis, so every window holds at least one input position. {@code ceilMode} rounds the output
 * size up instead of down, except that the last window must start inside the input or the start padding
 * (PyTorch's rule, ONNX's since onnx/onnx#5741), so no window lies wholly in the end padding.
 * Padding never wins a max. An average divides by the input positions in its window, or, with
 * {@code countIncludePad}, by the window clipped to the padded input [-padH, h + padBottom) x
 * [-padW, w + padRight): a window that ceil mode lets run past the end padding does not count the part
 * beyond it (PyTorch's divisor, ONNX AveragePool-19's).
 */
public record Pool2dSpec(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int padBottom, int padRight,
                         boolean ceilMode, boolean countIncludePad) {
    public Pool2dSpec {
        if (kernelH < 1 || kernelW < 1) throw new IllegalArgumentException("pool kernel must be >= 1, got " + kernelH + "x" + kernelW);
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("pool stride must be >= 1, got " + strideH + "x" + strideW);
        if (padH < 0 || padW < 0 || padBottom < 0 || padRight < 0 || padH >= kernelH || padBottom >= kernelH || padW >= kernelW
                || padRight >= kernelW) {
            throw new IllegalArgumentException("pool padding must be in [0, kernel - 1] on each side, got top " + padH + ", left " + padW
                    + ", bottom " + padBottom + ", right " + padRight + " for a " + kernelH + "x" + kernelW + " window");
        }
    }

    /** Symmetric padding, floor mode, padding not counted: the pools of the built-in models. */
    public Pool2dSpec(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
        this(kernelH, kernelW, strideH, strideW, padH, padW, padH, padW, false, false);
    }

    /** The usual square pool whose stride equals its size (maxpool 2 = 2x2 stride 2). */
    public static Pool2dSpec square(int k) { return new Pool2dSpec(k, k, k, k, 0, 0); }

    /** True for symmetric padding in floor mode: what vendor libraries and the int8 max-pool take. */
    public boolean symmetricFloor() { return padBottom == padH && padRight == padW && !ceilMode; }

    public int outH(int inH) { return out(inH, kernelH, padH, padBottom, strideH, ceilMode); }

    public int outW(int inW) { return out(inW, kernelW, padW, padRight, strideW, ceilMode); }

    /**
     * Output size along one axis, in long: a padding near 2^30 must not wrap {@code in + pads} to a
     * plausible size (as a crafted file once did for convolutions). The padded extent must fit in an int.
     */
    static int out(int in, int k, int begin, int end, int stride, boolean ceil) {
        if (in < 1 || k < 1) throw new IllegalArgumentException("input size " + in + " and window " + k + " must be >= 1");
        long padded = (long) in + begin + end;
        if (padded > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padding " + begin + " + " + end + " makes input size " + in + " overflow (" + padded + " > "
                    + Integer.MAX_VALUE + ")");
        }
        if (padded < k) throw new IllegalArgumentException("window " + k + " with padding " + begin + " + " + end + " does not fit input size " + in);
        long span = padded - k;
        long out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (out - 1) * stride >= in + (long) begin) out--; // the last window would start in the end padding
        return (int) out;
    }
}
