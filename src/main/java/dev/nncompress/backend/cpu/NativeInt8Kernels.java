package dev.nncompress.backend.cpu;

import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Checks;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.ref.ReferenceGemmS8;
import dev.nncompress.quant.QuantArithmetic;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Our JNI int8 kernels ({@code native/}): one SIMD {@link Variant}, bit-identical to the Java twin
 * {@code JavaInt8Kernels}. A GEMM is split into row ranges (a conv into output lines, the data movement
 * into images), about four per thread taken in turn ({@link CpuPar#forChunks}), one JNI call each; packed weights live in native memory, freed when the {@link Int8Kernels.PackedS8}
 * becomes unreachable.
 */
public final class NativeInt8Kernels implements Int8Kernels {
    /** The kernel variants, slowest first; {@code code} is the native library's variant number. */
    public enum Variant {
        SCALAR(0, "scalar"), AVX2(1, "avx2"), AVX512VNNI(2, "avx512vnni");

        private final int code;
        private final String label;

        Variant(int code, String label) {
            this.code = code;
            this.label = label;
        }

        public String label() { return label; }

        /** By label (case-insensitive), e.g. "avx2". */
        public static Variant parse(String label) {
            for (Variant v : values()) {
                if (v.label.equals(label.toLowerCase(Locale.ROOT))) return v;
            }
            throw new IllegalArgumentException("int8 kernel variant must be avx512vnni, avx2 or scalar, got '" + label + "'");
        }
    }

    /** Multiply-adds below which a GEMM part is not worth handing to another thread. */
    private static final long MIN_PART_WORK = 1L << 21;
    /** Rows per part are a multiple of both microkernels' tile heights (6 VNNI, 4 AVX2). */
    private static final int ROW_ALIGN = 12;
    /** im2col bytes below which a part is not worth handing to another thread. */
    private static final long MIN_PART_BYTES = 1L << 18;
    private static final Cleaner CLEANER = Cleaner.create();

    private final Variant variant;
    private final int threads;

    private NativeInt8Kernels(Variant variant, int threads) {
        this.variant = variant;
        this.threads = threads;
    }

    /**
     * The kernels of {@code variant} on {@code threads} threads; fails with the reason when the library
     * does not load or this CPU cannot run the variant.
     */
    public static NativeInt8Kernels of(Variant variant, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        NativeLibrary.Status lib = NativeLibrary.load();
        if (!lib.loaded()) throw new BackendUnavailableException("native int8 kernels unavailable: " + lib.reason());
        if (!cpuVariants().contains(variant)) throw new BackendUnavailableException("native int8 kernels: this CPU cannot run " + variant.label());
        return new NativeInt8Kernels(variant, threads);
    }

    /** As {@link #of(Variant, int)} by label, for tests. */
    static NativeInt8Kernels of(String variant, int threads) { return of(Variant.parse(variant), threads); }

    /** Variants this CPU runs, slowest first; empty when the library does not load. */
    public static List<Variant> cpuVariants() {
        List<Variant> out = new ArrayList<>();
        if (!NativeLibrary.load().loaded()) return out;
        int mask = NativeInt8.supportedVariants();
        for (Variant v : Variant.values()) {
            if ((mask & (1 << v.code)) != 0) out.add(v);
        }
        return out;
    }

    /** Null when the library is loaded, otherwise why not. */
    public static String unavailableReason() {
        NativeLibrary.Status s = NativeLibrary.load();
        return s.loaded() ? null : s.reason();
    }

    public Variant variant() { return variant; }

    @Override public String name() { return "native-" + variant.label(); }

    @Override public int threads() { return threads; }

    /**
     * No limit: the kernels keep no state between calls (native scratch is per thread), only read the packed
     * weights, and split over {@link CpuPar}, which splits only onto idle helpers (no thread pool to
     * oversubscribe). Measured, int8 student on 2 cores, 8 threads: 8 calls at once 1.0-1.2x one thread's
     * images/s, 2 at once 0.9-1.0x, 1 at once 0.75-1.0x.
     */
    @Override public int parallelCalls() { return Integer.MAX_VALUE; }

    /**
     * About 1 MB, the L2 of one core: the int8 teacher at batch 256 wrote its 12.8 MB conv2 output to memory and its
     * max-pool read it back (3.3 ms of 35 ms CPU per batch; 0.5 ms on 8 images in cache). Overridable with
     * {@code -Dnncompress.int8.passBytes} (0: whole batches) for measurements.
     */
    @Override public long passBytes() { return PASS_BYTES; }

    private static final long PASS_BYTES = Long.getLong("nncompress.int8.passBytes", 1L << 20);

    /**
     * Whole passes side by side on {@link #threads} threads ({@link CpuPar#forEach}, one pass at a time each; the
     * kernels inside a pass run inline), as many passes as a multiple of the threads' count (at most n), of sizes
     * within one image of each other, so that the threads end together. A batch of one pass runs as one, its layers split over
     * the threads. Measured (teacher, batch 256, 2 threads, load 9-15): 119.7 against 132.8 CPU us per image with
     * the layers split, 7,726 against 7,035 images/s.
     */
    @Override
    public void forPasses(int n, int maxImages, Pass pass) {
        int passes = (n + maxImages - 1) / maxImages;
        if (passes <= 1 || threads <= 1) {
            Int8Kernels.passesInTurn(n, maxImages, pass);
            return;
        }
        int count = Math.min(n, (passes + threads - 1) / threads * threads);
        CpuPar.forEach(count, threads, i -> pass.run((int) ((long) i * n / count), (int) ((long) (i + 1) * n / count)));
    }

    /** Weights in one variant's native layout; the native block is freed by the cleaner. */
    private static final class Packed implements PackedS8 {
        final long handle;
        final Variant variant;
        final int n;
        final int k;
        final int[] rowSums;

        Packed(long handle, Variant variant, int n, int k, int[] rowSums) {
            this.handle = handle;
            this.variant = variant;
            this.n = n;
            this.k = k;
            this.rowSums = rowSums;
            CLEANER.register(this, new Free(handle));
        }

        @Override public int n() { return n; }

        @Override public int k() { return k; }

        @Override public int[] rowSums() { return rowSums; }
    }

    /** Frees one packed block; holds the handle only, so that it does not keep the {@link Packed} alive. */
    private record Free(long handle) implements Runnable {
        @Override public void run() { NativeInt8.free(handle); }
    }

    @Override
    public PackedS8 pack(byte[] b, int n, int k) {
        Int8Checks.pack(b, n, k);
        int[] rowSums = ReferenceGemmS8.weightRowSums(b, n, k);
        return new Packed(NativeInt8.pack(variant.code, b, n, k), variant, n, k, rowSums);
    }

    @Override
    public void gemm(byte[] a, int m, PackedS8 packed, GemmS8Epilogue e, GemmS8Output out) {
        Packed p = own(packed);
        Int8Checks.gemm(a, m, p.n, p.k, e, out);
        if (m == 0) return;
        Object array = array(out);
        int minRows = (int) Math.max(1, MIN_PART_WORK / ((long) p.n * p.k));
        CpuPar.forChunks(m, threads, minRows, ROW_ALIGN, (from, to) -> NativeInt8.gemm(p.handle, a, from, to, e.mode().code(), e.scale(),
                e.bias(), e.relu(), e.outScale(), e.outZp(), e.zpA(), e.wsum(), array));
        Reference.reachabilityFence(p); // the cleaner must not free the weights while a part still runs
    }

    @Override
    public void conv(byte[] x, ConvGeometry g, byte pad, PackedS8 packed, GemmS8Epilogue e, GemmS8Output out) {
        Packed p = own(packed);
        Int8Checks.conv(x, g, p, e, out);
        int lines = g.n() * g.oh();
        if (lines == 0 || g.ow() == 0) return;
        Object array = array(out);
        int[] shape = shape(g);
        long lineWork = (long) g.ow() * p.n * p.k;
        int minLines = (int) Math.max(1, MIN_PART_WORK / Math.max(1, lineWork));
        CpuPar.forChunks(lines, threads, minLines, 1, (from, to) -> NativeInt8.conv(p.handle, x, shape, pad, from, to, e.mode().code(),
                e.scale(), e.bias(), e.relu(), e.outScale(), e.outZp(), e.zpA(), e.wsum(), array));
        Reference.reachabilityFence(p);
    }

    /**
     * Fused on the VNNI variant where its in-place conv applies (more than 8 output channels: {@code conv_pool_applies}
     * in native/src, which checks again): pooled lines split
     * over the threads, each computing the conv lines under a few of them into an L1 block and pooling from there.
     * Elsewhere conv then max-pool.
     */
    @Override
    public boolean fusesConvMaxPool(ConvGeometry g, PackedS8 w) { return variant == Variant.AVX512VNNI && w.n() > 8; }

    @Override
    public void convMaxPool(byte[] x, ConvGeometry g, byte pad, PackedS8 packed, GemmS8Epilogue e, Pool2dSpec pool, byte[] y) {
        Packed p = own(packed);
        Int8Checks.convMaxPool(x, g, p, e, pool, y);
        if (!fusesConvMaxPool(g, p)) {
            Int8Kernels.super.convMaxPool(x, g, pad, packed, e, pool, y);
            return;
        }
        int pooledLines = g.n() * (g.oh() / pool.kernelH());
        if (pooledLines == 0 || g.ow() / pool.kernelW() == 0) return;
        int[] shape = shape(g);
        long lineWork = (long) pool.kernelH() * g.ow() * p.n * p.k;
        int minLines = (int) Math.max(1, MIN_PART_WORK / Math.max(1, lineWork));
        CpuPar.forChunks(pooledLines, threads, minLines, 1, (from, to) -> NativeInt8.convMaxPool(p.handle, x, shape, pad, pool.kernelH(),
                pool.kernelW(), from, to, e.scale(), e.bias(), e.relu(), e.outScale(), e.outZp(), e.zpA(), e.wsum(), y));
        Reference.reachabilityFence(p);
    }

    @Override
    public void im2col(byte[] x, ConvGeometry g, byte pad, byte[] cols) {
        Int8Checks.im2col(x, g, cols);
        int lines = g.n() * g.oh();
        if (lines == 0 || g.ow() == 0) return;
        int[] shape = shape(g);
        long lineBytes = (long) g.ow() * g.kh() * g.kw() * g.c();
        int minLines = (int) Math.max(1, MIN_PART_BYTES / Math.max(1, lineBytes));
        CpuPar.forChunks(lines, threads, minLines, 1, (from, to) -> NativeInt8.im2col(x, shape, pad, cols, from, to));
    }

    /** The weights, when this variant packed them. */
    private Packed own(PackedS8 packed) {
        if (!(packed instanceof Packed p)) throw new IllegalArgumentException("gemm s8: weights were packed by another implementation");
        if (p.variant != variant) {
            throw new IllegalArgumentException("gemm s8: weights were packed by native-" + p.variant.label() + ", not " + name());
        }
        return p;
    }

    private static Object array(GemmS8Output out) {
        return switch (out.mode()) {
            case S32 -> out.s32();
            case F32 -> out.f32();
            case S8 -> out.s8();
        };
    }

    /** The native ConvShape: {n, h, w, c, kh, kw, strideH, strideW, padH, padW, oh, ow}. */
    private static int[] shape(ConvGeometry g) {
        return new int[] {g.n(), g.h(), g.w(), g.c(), g.kh(), g.kw(), g.spec().strideH(), g.spec().strideW(), g.spec().padH(),
                g.spec().padW(), g.oh(), g.ow()};
    }

    // data movement between layers: split over images like the GEMM over rows

    @Override
    public void quantizeToNhwc(float[] x, int n, int c, int hw, float scale, int zeroPoint, byte[] q) {
        Int8Checks.quantizeToNhwc(x, n, c, hw, q);
        QuantArithmetic.checkPerTensor(scale, zeroPoint);
        CpuPar.forChunks(n, threads, minImages((long) c * hw * 5), 1,
                (from, to) -> NativeInt8.quantizeToNhwc(variant.code, x, from, to, c, hw, scale, zeroPoint, q));
    }

    @Override
    public void maxPool(byte[] x, int n, int h, int w, int c, Pool2dSpec s, byte[] y) {
        Int8Checks.maxPool(x, n, h, w, c, s, y);
        int[] shape = {n, h, w, c, s.kernelH(), s.kernelW(), s.strideH(), s.strideW(), s.padH(), s.padW(), s.outH(h), s.outW(w)};
        CpuPar.forChunks(n, threads, minImages((long) h * w * c), 1, (from, to) -> NativeInt8.maxPool(variant.code, x, shape, y, from, to));
    }

    @Override
    public void nhwcToNchw(byte[] x, int n, int hw, int c, byte[] y) {
        Int8Checks.nhwcToNchw(x, n, hw, c, y);
        CpuPar.forChunks(n, threads, minImages((long) hw * c), 1, (from, to) -> NativeInt8.nhwcToNchw(variant.code, x, hw, c, y, from, to));
    }

    /** Images per part so that a part moves at least {@link #MIN_PART_BYTES}, given the bytes of one image. */
    private static int minImages(long imageBytes) { return (int) Math.max(1, MIN_PART_BYTES / Math.max(1, imageBytes)); }
}
