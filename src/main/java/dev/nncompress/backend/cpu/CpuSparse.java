package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.SparseWeight;
import dev.nncompress.sparse.CsrWeights;
import dev.nncompress.tensor.Shape;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The CPU backend's sparse fp32 kernels (native {@code sparse_f32_*.cpp}): CSR weight x dense rows for
 * conv (im2col per image) and linear (the batch as the vector dimension), one SIMD {@link Variant}
 * chosen at run time, bit-identical to the Java twin {@code ReferenceSparseConv.forwardCsr}. Work is
 * split over {@link CpuPar} threads by image (conv) or by batch rows (linear), one JNI call per part.
 */
public final class CpuSparse {
    private static final Cleaner CLEANER = Cleaner.create();

    /** Kernel variants, slowest first; {@code code} is the native library's number. */
    public enum Variant {
        SCALAR(0, "scalar"), AVX2(1, "avx2"), AVX512(2, "avx512");

        final int code;
        private final String label;

        Variant(int code, String label) {
            this.code = code;
            this.label = label;
        }

        public String label() { return label; }

        public static Variant parse(String label) {
            for (Variant v : values()) if (v.label.equalsIgnoreCase(label)) return v;
            throw new IllegalArgumentException("sparse kernel variant must be avx512, avx2 or scalar, got '" + label + "'");
        }
    }

    private final Variant variant;

    private CpuSparse(Variant variant) { this.variant = variant; }

    /**
     * The best variant this CPU runs, capped by {@code -Dnncompress.sparse.variant}, or null when the
     * native library does not load (the CPU backend then runs dense layers only).
     */
    static CpuSparse best() {
        List<Variant> vs = cpuVariants();
        if (vs.isEmpty()) return null;
        Variant v = vs.get(vs.size() - 1);
        String cap = System.getProperty("nncompress.sparse.variant");
        if (cap != null) {
            Variant c = Variant.parse(cap.toLowerCase(Locale.ROOT));
            if (c.ordinal() < v.ordinal()) v = c;
        }
        return new CpuSparse(v);
    }

    /** One variant, for tests and benchmarks; fails when the CPU or the library cannot run it. */
    static CpuSparse of(Variant v) {
        if (!cpuVariants().contains(v)) throw new IllegalArgumentException("sparse kernels: this CPU or library cannot run " + v.label());
        return new CpuSparse(v);
    }

    /** Variants this CPU runs, slowest first; empty when the library does not load. */
    static List<Variant> cpuVariants() {
        List<Variant> out = new ArrayList<>();
        if (!NativeLibrary.load().loaded()) return out;
        int mask = NativeSparse.supportedVariants();
        for (Variant v : Variant.values()) if ((mask & (1 << v.code)) != 0) out.add(v);
        return out;
    }

    String name() { return "native-" + variant.label(); }

    /** The native CSR copy; freed by {@link SparseWeight#close()} or, as a backstop, by the cleaner. */
    static final class Handle {
        final long address;

        private Handle(long address) { this.address = address; }
    }

    private record Free(long address) implements Runnable {
        @Override public void run() { NativeSparse.free(address); }
    }

    SparseWeight prepare(Backend owner, CsrWeights w, Shape shape) {
        Handle h = new Handle(NativeSparse.prepare(w.rowPtr(), w.tap(), w.value(), w.outChannels(), w.inChannels() * w.kh() * w.kw()));
        Cleaner.Cleanable c = CLEANER.register(h, new Free(h.address));
        return new SparseWeight(w, shape, owner, h, c::clean);
    }

    /** y [N, O, OH, OW] = conv(x, w) + bias (bias null = none); images split over threads. */
    void conv(ConvGeometry g, SparseWeight w, CpuTensor bias, CpuTensor x, CpuTensor y) {
        long handle = ((Handle) w.prepared()).address;
        int[] shape = {g.c(), g.h(), g.w(), g.kh(), g.kw(), g.spec().strideH(), g.spec().strideW(), g.spec().padH(), g.spec().padW(), g.oh(), g.ow()};
        long b = bias == null ? 0L : bias.address(), bl = bias == null ? 0L : bias.numel();
        CpuPar.forRange(g.n(), 1, 1, (from, to) -> NativeSparse.conv(variant.code, handle, b, bl, x.address(), x.numel(), y.address(), y.numel(),
                shape, from, to));
    }

    /** y [n, O] = x [n, F] W^T + bias (bias null = none); batch rows split over threads in multiples of 64 (the kernel's block). */
    void linear(SparseWeight w, CpuTensor bias, CpuTensor x, CpuTensor y, int n) {
        long handle = ((Handle) w.prepared()).address;
        long b = bias == null ? 0L : bias.address(), bl = bias == null ? 0L : bias.numel();
        CpuPar.forRange(n, 64, 64, (from, to) -> NativeSparse.linear(variant.code, handle, b, bl, x.address(), x.numel(), y.address(), y.numel(),
                from, to));
    }
}
