package dev.nncompress.backend;

import dev.nncompress.quant.QuantArithmetic;

/**
 * The CPU int8 compute the int8 engine runs on: an int8 GEMM with the fused epilogue of
 * {@link GemmS8Epilogue}, an int8 im2col for NHWC activations, and the data movement between layers
 * (input quantisation, int8 max-pool, NHWC to NCHW). Implementations: our JNI kernels
 * ({@code native/}, AVX-512 VNNI or AVX2) and the plain-Java twin ({@code backend.ref.JavaInt8Kernels}),
 * which is the reference every other implementation must match bit for bit and the last fallback.
 * {@code backend.cpu.Int8KernelChoice} picks one at run time and says which.
 *
 * <p>Each call may split its work over the implementation's threads ({@link #threads()}); results do
 * not depend on the split.
 */
public interface Int8Kernels {
    /** Short name shown to users: "native-avx512vnni", "native-avx2", "java". */
    String name();

    /** Threads one call may use. */
    int threads();

    /**
     * How many int8 runner calls on these kernels may run at once from different threads (each with its
     * own arrays; packed weights are only read). 1, the safe default, makes calls take turns; CPU kernels
     * say the core count (see {@link dev.nncompress.backend.Backend#parallelCalls()}).
     */
    default int parallelCalls() { return 1; }

    /**
     * Bytes of int8 activations per image times images that one pass of the int8 runner through the model
     * should hold at most: the runner takes a batch through all layers in parts of about that many bytes of
     * its largest activation, so that each layer's output is still in cache when the next layer reads it.
     * 0, the default, means the whole batch at once (devices want large batches). Results never depend on it.
     */
    default long passBytes() { return 0; }

    /** One pass of an int8 runner call: images [from, to) of the batch through every layer. */
    interface Pass {
        void run(int from, int to);
    }

    /**
     * Takes images [0, n) through {@code pass} in passes of at most {@code maxImages} images (about equal sizes),
     * each pass on one thread. With several threads whole passes run side by side and the kernels inside a pass
     * run on the thread that runs it, instead of every layer of every pass being split over the threads (the int8
     * teacher: the split per layer cost ~15-20% more CPU per image, in waits and in caches warmed for another core).
     * Returns when every pass has finished; results never depend on the split. Default: the passes in turn on the
     * caller's thread.
     */
    default void forPasses(int n, int maxImages, Pass pass) { passesInTurn(n, maxImages, pass); }

    /** {@link #forPasses}'s default: about equal passes of at most {@code maxImages}, in turn on the caller's thread. */
    static void passesInTurn(int n, int maxImages, Pass pass) {
        int passes = (n + maxImages - 1) / maxImages, size = (n + passes - 1) / passes;
        for (int i = 0; i < n; i += size) pass.run(i, Math.min(n, i + size));
    }

    /**
     * B [n, k] int8 row-major (a weight in PyTorch's layout [out, in]; a conv weight flattened to
     * [o, kh*kw*c] in NHWC order) prepared once for repeated {@link #gemm} calls. The returned object
     * belongs to this implementation only.
     */
    PackedS8 pack(byte[] b, int n, int k);

    /**
     * {@code out = epilogue(A x B^T)}: A [m, k] int8 row-major, B packed by {@link #pack}; {@code out}'s
     * array (of the epilogue's mode) has at least m * n elements and is written row-major [m, n].
     * Bit-identical to {@code ReferenceGemmS8.gemmS8} for every input.
     */
    void gemm(byte[] a, int m, PackedS8 b, GemmS8Epilogue e, GemmS8Output out);

    /**
     * int8 im2col for NHWC input x [n, h, w, c]: cols [n * oh * ow, kh * kw * c] row-major, each row
     * ordered (ky, kx, ch); positions in the padding read {@code pad} (the activation zero point, i.e.
     * real 0). {@code g} gives the sizes (its NCHW index helpers do not apply here).
     */
    void im2col(byte[] x, ConvGeometry g, byte pad, byte[] cols);

    /**
     * A convolution as {@link #im2col} then {@link #gemm}: {@code out = epilogue(cols x W^T)} with rows the
     * output positions [n * oh * ow] (NHWC output), {@code w} packed from [o, kh * kw * c]. This default
     * makes the whole cols matrix; implementations may fuse the two per block of output rows (the native
     * kernels do, so cols never leaves the cache). Bit-identical to im2col + gemm.
     */
    default void conv(byte[] x, ConvGeometry g, byte pad, PackedS8 w, GemmS8Epilogue e, GemmS8Output out) {
        Int8Checks.conv(x, g, w, e, out);
        long colsBytes = (long) g.n() * g.p() * g.ckk();
        if (colsBytes > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("conv s8: im2col of " + g + " exceeds one Java array");
        byte[] cols = new byte[(int) colsBytes];
        im2col(x, g, pad, cols);
        gemm(cols, g.n() * g.p(), w, e, out);
    }

    /**
     * {@link #conv} with an S8 epilogue, then {@link #maxPool} of its codes with a pool whose windows tile the conv
     * output ({@link #poolTilesOutput}): y [n, oh / kh, ow / kw, o]. This default does exactly that; an
     * implementation may fuse the pool into the conv's epilogue (the native kernels do, so the conv's output
     * never leaves the cache), bit-identical to it.
     */
    default void convMaxPool(byte[] x, ConvGeometry g, byte pad, PackedS8 w, GemmS8Epilogue e, Pool2dSpec pool, byte[] y) {
        Int8Checks.convMaxPool(x, g, w, e, pool, y);
        byte[] full = new byte[Math.multiplyExact(Math.multiplyExact(g.n(), g.p()), w.n())];
        conv(x, g, pad, w, e, GemmS8Output.ofS8(full));
        maxPool(full, g.n(), g.oh(), g.ow(), w.n(), pool, y);
    }

    /**
     * Whether {@link #convMaxPool} runs fused for this conv (rather than as conv then max-pool through a temporary of
     * the conv's whole output): callers with pooled buffers of their own run the two ops themselves otherwise.
     */
    default boolean fusesConvMaxPool(ConvGeometry g, PackedS8 w) { return false; }

    /** Whether {@code pool}'s windows tile its input: stride = window, no padding, floor mode (what {@link #convMaxPool} takes). */
    static boolean poolTilesOutput(Pool2dSpec pool) {
        return pool.kernelH() == pool.strideH() && pool.kernelW() == pool.strideW() && pool.padH() == 0 && pool.padW() == 0
                && pool.symmetricFloor();
    }

    /**
     * Per-tensor quantisation of float x, NCHW [n, c, hw], into int8 codes q laid out NHWC [n, hw, c]:
     * {@code clamp(rint(x / scale) + zeroPoint, -128, 127)}, bit for bit {@code QuantArithmetic.quantizeS8}
     * (float division, round half to even, NaN to -128). The int8 engine's input step.
     */
    void quantizeToNhwc(float[] x, int n, int c, int hw, float scale, int zeroPoint, byte[] q);

    /**
     * Max-pooling of int8 codes NHWC x [n, h, w, c] into y [n, oh, ow, c] ({@code oh}, {@code ow} from
     * {@code s}); window positions in the padding are skipped (a window wholly in the padding gives -128).
     * Quantisation is monotone, so this equals quantising the float max-pool.
     */
    void maxPool(byte[] x, int n, int h, int w, int c, Pool2dSpec s, byte[] y);

    /** int8 codes NHWC [n, hw, c] to NCHW [n, c, hw] (the order a Flatten after a conv reads). */
    void nhwcToNchw(byte[] x, int n, int hw, int c, byte[] y);

    /** B prepared for one implementation: its sizes and {@code rowSums[j] = sum_k B[j, k]} (for the zero-point epilogue). */
    interface PackedS8 {
        int n();

        int k();

        /** {@code sum_k B[j, k]}, as {@code ReferenceGemmS8.weightRowSums}; callers must not modify it. */
        int[] rowSums();
    }
}
