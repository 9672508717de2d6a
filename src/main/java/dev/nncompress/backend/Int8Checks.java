package dev.nncompress.backend;

/**
 * The argument checks every {@link Int8Kernels} implementation makes, so that the Java twin and the
 * JNI kernels reject the same inputs with the same messages (and the JNI kernels never see a size
 * that would make them read or write outside an array).
 */
public final class Int8Checks {
    private Int8Checks() {}

    /** {@link Int8Kernels#pack}: B [n, k] with n, k >= 1. */
    public static void pack(byte[] b, int n, int k) {
        if (b == null) throw new IllegalArgumentException("gemm s8: B is null");
        if (n < 1 || k < 1) throw new IllegalArgumentException("gemm s8 needs n, k >= 1, got " + n + ", " + k);
        if ((long) n * k != b.length) throw new IllegalArgumentException("B has " + b.length + " bytes, not n*k = " + n + "*" + k);
    }

    /** {@link Int8Kernels#gemm} of A [m, k] with weights [n, k]. */
    public static void gemm(byte[] a, int m, int n, int k, GemmS8Epilogue e, GemmS8Output out) {
        if (a == null || e == null || out == null) throw new IllegalArgumentException("gemm s8: A, epilogue and output must not be null");
        if (m < 0) throw new IllegalArgumentException("gemm s8: m must be >= 0, got " + m);
        if ((long) m * k > a.length) throw new IllegalArgumentException("gemm s8: A has " + a.length + " bytes, fewer than m*k = " + m + "*" + k);
        output(out, e, (long) m * n);
        e.checkChannels(n);
    }

    /** The output's mode is the epilogue's and it holds at least {@code need} elements. */
    public static void output(GemmS8Output out, GemmS8Epilogue e, long need) {
        if (out.mode() != e.mode()) throw new IllegalArgumentException("gemm s8: output mode " + out.mode() + " but epilogue mode " + e.mode());
        long have = switch (out.mode()) {
            case S32 -> out.s32().length;
            case F32 -> out.f32().length;
            case S8 -> out.s8().length;
        };
        if (have < need) throw new IllegalArgumentException("gemm s8: output holds " + have + " elements, needs " + need);
    }

    /** {@link Int8Kernels#im2col}: x holds [n, h, w, c], cols [n * oh * ow, kh * kw * c]. */
    public static void im2col(byte[] x, ConvGeometry g, byte[] cols) {
        if (x == null || g == null || cols == null) throw new IllegalArgumentException("im2col s8: x, geometry and cols must not be null");
        long kk = (long) g.kh() * g.kw() * g.c();
        if ((long) g.n() * g.h() * g.w() * g.c() > x.length) throw new IllegalArgumentException("im2col s8: input too small for " + g);
        if ((long) g.n() * g.p() * kk > cols.length) throw new IllegalArgumentException("im2col s8: cols too small for " + g);
    }

    /** {@link Int8Kernels#quantizeToNhwc}: x and q hold n * c * hw values, the scale and zero point are valid. */
    public static void quantizeToNhwc(float[] x, int n, int c, int hw, byte[] q) {
        if (x == null || q == null) throw new IllegalArgumentException("quantize s8: x and q must not be null");
        if (n < 0 || c < 0 || hw < 0) throw new IllegalArgumentException("quantize s8: n, c, hw must be >= 0, got " + n + ", " + c + ", " + hw);
        long count = (long) n * c * hw;
        if (x.length < count || q.length < count) throw new IllegalArgumentException("quantize s8: arrays hold fewer than n*c*hw = " + count + " values");
    }

    /** {@link Int8Kernels#maxPool}: x holds [n, h, w, c], y [n, oh, ow, c]. */
    public static void maxPool(byte[] x, int n, int h, int w, int c, Pool2dSpec s, byte[] y) {
        if (x == null || s == null || y == null) throw new IllegalArgumentException("max-pool s8: x, spec and y must not be null");
        if (n < 0 || h < 1 || w < 1 || c < 0) throw new IllegalArgumentException("max-pool s8: bad input size " + n + "x" + h + "x" + w + "x" + c);
        if (!s.symmetricFloor()) throw new IllegalArgumentException("max-pool s8: takes symmetric padding in floor mode, got " + s);
        int oh = s.outH(h), ow = s.outW(w);
        if (x.length < (long) n * h * w * c || y.length < (long) n * oh * ow * c) throw new IllegalArgumentException("max-pool s8: arrays too small for " + n + "x" + h + "x" + w + "x" + c);
    }

    /** {@link Int8Kernels#nhwcToNchw}: x and y hold n * hw * c codes. */
    public static void nhwcToNchw(byte[] x, int n, int hw, int c, byte[] y) {
        if (x == null || y == null) throw new IllegalArgumentException("nhwc to nchw: x and y must not be null");
        if (n < 0 || hw < 0 || c < 0) throw new IllegalArgumentException("nhwc to nchw: n, hw, c must be >= 0, got " + n + ", " + hw + ", " + c);
        if (x.length < (long) n * hw * c || y.length < (long) n * hw * c) throw new IllegalArgumentException("nhwc to nchw: arrays hold fewer than " + n + "*" + hw + "*" + c);
    }

    /** {@link Int8Kernels#conv}: x holds [n, h, w, c], the weights are [o, kh * kw * c], out holds n * oh * ow * o elements. */
    public static void conv(byte[] x, ConvGeometry g, Int8Kernels.PackedS8 w, GemmS8Epilogue e, GemmS8Output out) {
        if (x == null || g == null || w == null || e == null || out == null) throw new IllegalArgumentException("conv s8: no argument may be null");
        convInput(x, g, w, e);
        output(out, e, (long) g.n() * g.p() * w.n());
    }

    /**
     * {@link Int8Kernels#convMaxPool}: as {@link #conv} with an S8 epilogue and a pool whose windows tile the conv
     * output ({@link Int8Kernels#poolTilesOutput}) and fit in it, y holding [n, oh / kh, ow / kw, o] codes.
     */
    public static void convMaxPool(byte[] x, ConvGeometry g, Int8Kernels.PackedS8 w, GemmS8Epilogue e, Pool2dSpec pool, byte[] y) {
        if (x == null || g == null || w == null || e == null || pool == null || y == null) {
            throw new IllegalArgumentException("conv s8 + max-pool: no argument may be null");
        }
        if (e.mode() != GemmS8Epilogue.Mode.S8) throw new IllegalArgumentException("conv s8 + max-pool: takes an S8 epilogue, got " + e.mode());
        if (!Int8Kernels.poolTilesOutput(pool)) {
            throw new IllegalArgumentException("conv s8 + max-pool: the pool's windows must tile the output (stride = window, no padding, floor mode), got " + pool);
        }
        if (pool.kernelH() > g.oh() || pool.kernelW() > g.ow()) {
            throw new IllegalArgumentException("conv s8 + max-pool: window " + pool.kernelH() + "x" + pool.kernelW() + " larger than the output " + g.oh() + "x" + g.ow());
        }
        convInput(x, g, w, e);
        long need = (long) g.n() * (g.oh() / pool.kernelH()) * (g.ow() / pool.kernelW()) * w.n();
        if (y.length < need) throw new IllegalArgumentException("conv s8 + max-pool: y holds " + y.length + " codes, needs " + need);
    }

    /** x holds [n, h, w, c] and the weights [o, kh * kw * c] fit the geometry and the epilogue. */
    private static void convInput(byte[] x, ConvGeometry g, Int8Kernels.PackedS8 w, GemmS8Epilogue e) {
        if ((long) g.n() * g.h() * g.w() * g.c() > x.length) throw new IllegalArgumentException("conv s8: input too small for " + g);
        if (w.k() != g.ckk()) throw new IllegalArgumentException("conv s8: weights have k = " + w.k() + ", the window holds kh*kw*c = " + g.ckk());
        if (w.n() != g.o()) throw new IllegalArgumentException("conv s8: weights have " + w.n() + " output channels, the geometry " + g.o());
        e.checkChannels(w.n());
    }
}
