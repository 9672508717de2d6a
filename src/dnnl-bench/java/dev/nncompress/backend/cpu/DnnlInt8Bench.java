package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Kernels.PackedS8;
import dev.nncompress.bench.GemmBench;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.bytedeco.dnnl.global.dnnl.*;

/**
 * Not a test: oneDNN's int8 primitives ({@code org.bytedeco:dnnl}, test scope only) against our JNI kernels
 * ({@link NativeInt8Kernels}, best variant) and the fp32 GEMM of the cpu backend (OpenBLAS sgemm), on the
 * same shapes, rounds interleaved in one process (fp32, ours, oneDNN, fp32, ...), median ms per call.
 *
 * <p>What each side computes (the int8 engine's layer): activations s8 codes with zero point {@code zpA}
 * (oneDNN: the same codes as u8, {@code a ^ 0x80 = a + 128}, zero point {@code zpA + 128}), s8 weights,
 * s32 accumulation, per-output-channel scale, float bias, ReLU, requantised to s8 with {@code outScale} and
 * {@code outZp}. Weights are packed once (ours: {@code pack}; oneDNN: reorder to the layout its primitive
 * asks for, {@code format_tag::any}), outside the timing. GEMM: oneDNN matmul, src [m, k] row-major,
 * weights [k, n] (our [n, k] row-major, tag {@code ba}). Conv: oneDNN convolution, NHWC u8 src, s8 weights
 * from our [o, kh, kw, c] ({@code ohwi}), NHWC s8 dst, 3x3 stride 1 pad 1; ours the fused conv. The fp32
 * row of a conv is the sgemm of its im2col shape (no im2col), a floor for an fp32 conv.
 *
 * <p>Agreement, checked before timing: the int32 accumulators exactly (both sides with an s32 output,
 * ours {@code acc - zpA * wsum}, oneDNN with the u8 zero point; conv padding is real 0 on both), then
 * the s8 outputs within one code (oneDNN folds the scales and divides by {@code outScale} in its own
 * order; ours is {@code rint(((float) acc * scale + bias) / outScale) + outZp}, so rounding can differ by
 * one code where y / outScale lies within a float ulp of a half), with the count of differing codes.
 *
 * <p>Threads: ours and fp32 take {@code threads}; oneDNN's OpenMP runtime reads {@code OMP_NUM_THREADS},
 * which must equal it (checked; {@code OMP_WAIT_POLICY=passive} makes oneDNN's two-thread numbers robust
 * to a shared machine, see docs/benchmarks.md). Run from the test class path (oneDNN is a test dependency):
 * <pre>
 * mvn -o dependency:build-classpath -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * OMP_NUM_THREADS=1 java -cp "target/classes:target/test-classes:$(cat target/test.cp)" dev.nncompress.backend.cpu.DnnlInt8Bench 1 [rounds] [seconds per round]
 * </pre>
 * Prints the agreement per shape, then a markdown table; fails when the accumulators differ or an s8 code
 * differs by more than one.
 */
public final class DnnlInt8Bench {
    private DnnlInt8Bench() {}

    /** One op to time: runs it once. */
    private interface Op {
        void run();
    }

    private record Row(String kernels, Op op, double ops) {}

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        double roundSeconds = args.length > 2 ? Double.parseDouble(args[2]) : 0.3;
        String omp = System.getenv("OMP_NUM_THREADS");
        if (omp == null || Integer.parseInt(omp.strip()) != threads) {
            throw new IllegalStateException("set OMP_NUM_THREADS=" + threads + " (oneDNN's OpenMP threads), got " + omp);
        }
        NativeInt8Kernels.Variant best = NativeInt8Kernels.cpuVariants().get(NativeInt8Kernels.cpuVariants().size() - 1);
        NativeInt8Kernels ours = NativeInt8Kernels.of(best, threads);
        engine eng = new engine(engine.kind.cpu, 0);
        stream s = new stream(eng);
        System.out.printf(Locale.ROOT, "oneDNN %d.%d.%d, effective ISA %s; ours %s; %d thread%s, %d rounds of %.2f s, median; load average %s%n",
                dnnl_version().major(), dnnl_version().minor(), dnnl_version().patch(), get_effective_cpu_isa(), ours.name(), threads,
                threads == 1 ? "" : "s", rounds, roundSeconds, loadAverage());
        try (CpuBackend cpu = new CpuBackend()) {
            CpuBackend.limitBlasThreads(threads);
            List<String> report = new ArrayList<>();
            report.add(String.format(Locale.ROOT, "| %-44s | %-22s | %8s | %7s | %8s | %9s |", "shape", "kernels", "ms", "GOP/s", "vs fp32", "vs ours"));
            gemm(report, cpu, ours, eng, s, 1024, 1024, 1024, "gemm 1024x1024x1024", rounds, roundSeconds);
            gemm(report, cpu, ours, eng, s, 50176, 64, 288, "gemm 50176x64x288", rounds, roundSeconds);
            conv(report, cpu, ours, eng, s, 256, 8, 14, 14, 16, "conv student conv2 N=256 8->16 14x14", rounds, roundSeconds);
            conv(report, cpu, ours, eng, s, 64, 32, 28, 28, 64, "conv teacher conv2 N=64 32->64 28x28", rounds, roundSeconds);
            report.forEach(System.out::println);
        }
        System.out.println("load average at the end " + loadAverage());
    }

    // ---------------------------------------------------------------- GEMM

    private static void gemm(List<String> report, CpuBackend cpu, NativeInt8Kernels ours, engine eng, stream s, int m, int n, int k,
                             String label, int rounds, double roundSeconds) {
        SplittableRandom rnd = new SplittableRandom(7);
        byte[] a = randomBytes(rnd, m * k);
        byte[] w = randomBytes(rnd, n * k);
        Epi ep = Epi.random(rnd, n, k);
        PackedS8 p = ours.pack(w, n, k);

        int[] oursAcc = new int[m * n];
        ours.gemm(a, m, p, GemmS8Epilogue.s32().withActivationZeroPoint(ep.zpA, p.rowSums()), GemmS8Output.ofS32(oursAcc));
        byte[] oursY = new byte[m * n];
        GemmS8Epilogue e = ep.ours(p);
        GemmS8Output out = GemmS8Output.ofS8(oursY);

        long[] srcDims = {m, k}, weiDims = {k, n}, dstDims = {m, n};
        memory.desc srcMd = new memory.desc(new LongPointer(srcDims), memory.data_type.u8, memory.format_tag.ab);
        memory.desc weiAny = new memory.desc(new LongPointer(weiDims), memory.data_type.s8, memory.format_tag.any);
        memory.desc biasMd = new memory.desc(new LongPointer(new long[] {1, n}), memory.data_type.f32, memory.format_tag.ab);
        memory srcMem = u8Memory(eng, srcMd, a);
        memory userWei = bytesMemory(eng, new memory.desc(new LongPointer(weiDims), memory.data_type.s8, memory.format_tag.ba), w);

        Dnnl acc = Dnnl.matmul(eng, s, srcMd, weiAny, null, new memory.desc(new LongPointer(dstDims), memory.data_type.s32, memory.format_tag.ab),
                srcMem, userWei, ep, false, 2);
        acc.run();
        int[] dnnlAcc = new int[m * n];
        new IntPointer(acc.dst.get_data_handle()).capacity(dnnlAcc.length).get(dnnlAcc);
        Dnnl y = Dnnl.matmul(eng, s, srcMd, weiAny, biasMd, new memory.desc(new LongPointer(dstDims), memory.data_type.s8, memory.format_tag.ab),
                srcMem, userWei, ep, true, 2);
        ours.gemm(a, m, p, e, out);
        y.run();
        String agree = agreement(oursAcc, dnnlAcc, oursY, y.dstBytes(m * n), acc.impl());
        System.out.println(label + ": " + agree + "; oneDNN impl " + y.impl());
        memory.desc srcS8 = new memory.desc(new LongPointer(srcDims), memory.data_type.s8, memory.format_tag.ab);
        Dnnl drop = Dnnl.matmul(eng, s, srcS8, weiAny, biasMd, new memory.desc(new LongPointer(dstDims), memory.data_type.s8, memory.format_tag.ab),
                bytesMemory(eng, srcS8, a), userWei, ep, true, 2);
        byte[] dropY = new byte[m * n];
        Op dropIn = drop.dropIn(a, dropY);
        dropIn.run();
        System.out.println(label + ", oneDNN s8 src from/to Java arrays: " + agreement(oursAcc, dnnlAcc, oursY, dropY, drop.impl()));

        double ops = 2.0 * m * n * k;
        try (GemmBench.Op fp32 = GemmBench.fp32(cpu, new GemmBench.Dims(m, n, k), 3)) {
            time(report, label, rounds, roundSeconds, List.of(new Row("fp32 OpenBLAS sgemm", fp32::run, ops),
                    new Row("int8 ours " + ours.name(), () -> ours.gemm(a, m, p, e, out), ops), new Row("int8 oneDNN matmul", y::run, ops),
                    new Row("int8 oneDNN, drop-in", dropIn, ops)));
        }
    }

    // ---------------------------------------------------------------- conv

    private static void conv(List<String> report, CpuBackend cpu, NativeInt8Kernels ours, engine eng, stream s, int n, int c, int h, int wd, int o,
                             String label, int rounds, double roundSeconds) {
        SplittableRandom rnd = new SplittableRandom(11);
        ConvGeometry g = new ConvGeometry(n, c, h, wd, o, 3, 3, h, wd, Conv2dSpec.of(1, 1));
        byte[] x = randomBytes(rnd, n * h * wd * c);
        byte[] w = randomBytes(rnd, o * g.ckk());
        Epi ep = Epi.random(rnd, o, g.ckk());
        PackedS8 p = ours.pack(w, o, g.ckk());
        byte pad = (byte) ep.zpA;
        int m = n * g.p();

        int[] oursAcc = new int[m * o];
        ours.conv(x, g, pad, p, GemmS8Epilogue.s32().withActivationZeroPoint(ep.zpA, p.rowSums()), GemmS8Output.ofS32(oursAcc));
        byte[] oursY = new byte[m * o];
        GemmS8Epilogue e = ep.ours(p);
        GemmS8Output out = GemmS8Output.ofS8(oursY);

        long[] srcDims = {n, c, h, wd}, weiDims = {o, c, 3, 3}, dstDims = {n, o, g.oh(), g.ow()};
        memory.desc srcMd = new memory.desc(new LongPointer(srcDims), memory.data_type.u8, memory.format_tag.nhwc);
        memory.desc weiAny = new memory.desc(new LongPointer(weiDims), memory.data_type.s8, memory.format_tag.any);
        memory.desc biasMd = new memory.desc(new LongPointer(new long[] {o}), memory.data_type.f32, memory.format_tag.x);
        memory srcMem = u8Memory(eng, srcMd, x);
        memory userWei = bytesMemory(eng, new memory.desc(new LongPointer(weiDims), memory.data_type.s8, memory.format_tag.ohwi), w);

        Dnnl acc = Dnnl.conv(eng, s, srcMd, weiAny, null, new memory.desc(new LongPointer(dstDims), memory.data_type.s32, memory.format_tag.nhwc),
                srcMem, userWei, ep, false);
        acc.run();
        int[] dnnlAcc = new int[m * o];
        new IntPointer(acc.dst.get_data_handle()).capacity(dnnlAcc.length).get(dnnlAcc);
        Dnnl y = Dnnl.conv(eng, s, srcMd, weiAny, biasMd, new memory.desc(new LongPointer(dstDims), memory.data_type.s8, memory.format_tag.nhwc),
                srcMem, userWei, ep, true);
        ours.conv(x, g, pad, p, e, out);
        y.run();
        String agree = agreement(oursAcc, dnnlAcc, oursY, y.dstBytes(m * o), acc.impl());
        System.out.println(label + ": " + agree + "; oneDNN impl " + y.impl());
        memory.desc srcS8 = new memory.desc(new LongPointer(srcDims), memory.data_type.s8, memory.format_tag.nhwc);
        Dnnl drop = Dnnl.conv(eng, s, srcS8, weiAny, biasMd, new memory.desc(new LongPointer(dstDims), memory.data_type.s8, memory.format_tag.nhwc),
                bytesMemory(eng, srcS8, x), userWei, ep, true);
        byte[] dropY = new byte[m * o];
        Op dropIn = drop.dropIn(x, dropY);
        dropIn.run();
        System.out.println(label + ", oneDNN s8 src from/to Java arrays: " + agreement(oursAcc, dnnlAcc, oursY, dropY, drop.impl()));

        double ops = 2.0 * m * o * g.ckk();
        try (GemmBench.Op fp32 = GemmBench.fp32(cpu, new GemmBench.Dims(m, o, g.ckk()), 3)) {
            time(report, label, rounds, roundSeconds, List.of(new Row("fp32 sgemm " + m + "x" + o + "x" + g.ckk(), fp32::run, ops),
                    new Row("int8 ours " + ours.name() + " conv", () -> ours.conv(x, g, pad, p, e, out), ops),
                    new Row("int8 oneDNN conv", y::run, ops), new Row("int8 oneDNN, drop-in", dropIn, ops)));
        }
    }

    // ---------------------------------------------------------------- oneDNN plumbing

    /** The epilogue's parameters, shared by both sides. */
    private record Epi(float[] scale, float[] bias, float outScale, int outZp, int zpA) {
        /** Scales that put y at about one standard deviation, outScale at ~40 codes per unit: few clamps. */
        static Epi random(SplittableRandom rnd, int n, int k) {
            float[] scale = new float[n];
            float[] bias = new float[n];
            double accStd = Math.sqrt(k) * 128 * 128 / 3.0;
            for (int i = 0; i < n; i++) {
                scale[i] = (float) (rnd.nextDouble(0.5, 1.5) / accStd);
                bias[i] = (float) (rnd.nextGaussian() * 0.5);
            }
            return new Epi(scale, bias, 0.025f, -100, -3);
        }

        GemmS8Epilogue ours(PackedS8 p) {
            return GemmS8Epilogue.s8(scale, bias, true, outScale, outZp).withActivationZeroPoint(zpA, p.rowSums());
        }
    }

    /** A oneDNN primitive with its arguments bound; {@link #run()} executes and waits. */
    private static final class Dnnl {
        final primitive prim;
        final primitive_desc pd;
        final IntMemoryMap args;
        final memory dst;
        final stream s;

        private Dnnl(primitive prim, primitive_desc pd, IntMemoryMap args, memory dst, stream s) {
            this.prim = prim;
            this.pd = pd;
            this.args = args;
            this.dst = dst;
            this.s = s;
        }

        void run() {
            prim.execute(s, args);
            s._wait();
        }

        String impl() { return pd.impl_info_str().getString(); }

        /**
         * What a drop-in replacement for our kernels would do per call in the int8 engine, whose codes are
         * s8 in Java arrays: copy the input into oneDNN's (s8) src memory, run, copy the output back.
         */
        Op dropIn(byte[] in, byte[] out) {
            BytePointer src = new BytePointer(args.get(DNNL_ARG_SRC).get_data_handle()).capacity(in.length);
            BytePointer d = new BytePointer(dst.get_data_handle()).capacity(out.length);
            return () -> {
                src.put(in);
                run();
                d.get(out);
            };
        }

        byte[] dstBytes(int count) {
            byte[] b = new byte[count];
            new BytePointer(dst.get_data_handle()).capacity(count).get(b);
            return b;
        }

        /** The epilogue as attributes: weight scales per channel ({@code weiMask}), src zero point, and for s8 output relu, dst scale, dst zero point. */
        static primitive_attr attr(Epi ep, boolean requant, int weiMask) {
            primitive_attr attr = new primitive_attr();
            attr.set_zero_points_mask(DNNL_ARG_SRC, 0);
            if (requant) {
                attr.set_scales_mask(DNNL_ARG_WEIGHTS, weiMask);
                attr.set_scales_mask(DNNL_ARG_DST, 0);
                attr.set_zero_points_mask(DNNL_ARG_DST, 0);
                post_ops po = new post_ops();
                po.append_eltwise(algorithm.eltwise_relu, 0f, 0f);
                attr.set_post_ops(po);
            }
            return attr;
        }

        static IntMemoryMap args(engine eng, primitive_desc pd, memory srcMem, memory userWei, memory bias, memory dst, stream s, Epi ep,
                                 boolean requant) {
            memory wei = new memory(pd.weights_desc(), eng);
            new reorder(userWei, wei).execute(s, userWei, wei);
            s._wait();
            IntMemoryMap args = new IntMemoryMap();
            args.put(DNNL_ARG_SRC, srcMem);
            args.put(DNNL_ARG_WEIGHTS, wei);
            args.put(DNNL_ARG_DST, dst);
            if (bias != null) args.put(DNNL_ARG_BIAS, bias);
            boolean u8 = srcMem.get_desc().get_data_type().value == memory.data_type.u8.value;
            args.put(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, intMemory(eng, u8 ? ep.zpA + 128 : ep.zpA));
            if (requant) {
                args.put(DNNL_ARG_ATTR_SCALES | DNNL_ARG_WEIGHTS, floatMemory(eng, ep.scale));
                args.put(DNNL_ARG_ATTR_SCALES | DNNL_ARG_DST, floatMemory(eng, new float[] {ep.outScale}));
                args.put(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, intMemory(eng, ep.outZp));
            }
            return args;
        }

        static Dnnl matmul(engine eng, stream s, memory.desc srcMd, memory.desc weiAny, memory.desc biasMd, memory.desc dstMd, memory srcMem,
                           memory userWei, Epi ep, boolean requant, int weiMask) {
            primitive_attr attr = attr(ep, requant, weiMask);
            matmul.primitive_desc pd = biasMd == null ? new matmul.primitive_desc(eng, srcMd, weiAny, dstMd, attr, false)
                    : new matmul.primitive_desc(eng, srcMd, weiAny, biasMd, dstMd, attr, false);
            memory dst = new memory(pd.dst_desc(), eng);
            memory bias = biasMd == null ? null : floatMemory(eng, ep.bias);
            return new Dnnl(new matmul(pd), pd, args(eng, pd, srcMem, userWei, bias, dst, s, ep, requant), dst, s);
        }

        static Dnnl conv(engine eng, stream s, memory.desc srcMd, memory.desc weiAny, memory.desc biasMd, memory.desc dstMd, memory srcMem,
                         memory userWei, Epi ep, boolean requant) {
            primitive_attr attr = attr(ep, requant, 1);
            LongPointer strides = new LongPointer(new long[] {1, 1});
            LongPointer pad = new LongPointer(new long[] {1, 1});
            convolution_forward.primitive_desc pd = new convolution_forward.primitive_desc(eng, prop_kind.forward_inference,
                    algorithm.convolution_direct, srcMd, weiAny, biasMd == null ? new memory.desc() : biasMd, dstMd, strides, pad, pad, attr, false);
            memory dst = new memory(pd.dst_desc(), eng);
            memory bias = biasMd == null ? null : floatMemory(eng, ep.bias);
            return new Dnnl(new convolution_forward(pd), pd, args(eng, pd, srcMem, userWei, bias, dst, s, ep, requant), dst, s);
        }
    }

    private static memory bytesMemory(engine eng, memory.desc md, byte[] b) {
        memory mem = new memory(md, eng);
        new BytePointer(mem.get_data_handle()).capacity(b.length).put(b);
        return mem;
    }

    /** Our s8 codes as oneDNN's u8: {@code a ^ 0x80 = a + 128}. */
    private static memory u8Memory(engine eng, memory.desc md, byte[] a) {
        byte[] u = new byte[a.length];
        for (int i = 0; i < a.length; i++) u[i] = (byte) (a[i] ^ 0x80);
        return bytesMemory(eng, md, u);
    }

    private static memory floatMemory(engine eng, float[] v) {
        memory mem = new memory(new memory.desc(new LongPointer(new long[] {v.length}), memory.data_type.f32, memory.format_tag.x), eng);
        new FloatPointer(mem.get_data_handle()).capacity(v.length).put(v);
        return mem;
    }

    private static memory intMemory(engine eng, int v) {
        memory mem = new memory(new memory.desc(new LongPointer(new long[] {1}), memory.data_type.s32, memory.format_tag.x), eng);
        new IntPointer(mem.get_data_handle()).capacity(1).put(v);
        return mem;
    }

    // ---------------------------------------------------------------- checks and timing

    private static String agreement(int[] oursAcc, int[] dnnlAcc, byte[] oursY, byte[] dnnlY, String accImpl) {
        int accDiff = 0;
        for (int i = 0; i < oursAcc.length; i++) if (oursAcc[i] != dnnlAcc[i]) accDiff++;
        int off1 = 0, worse = 0, clamped = 0;
        for (int i = 0; i < oursY.length; i++) {
            int d = Math.abs(oursY[i] - dnnlY[i]);
            if (d == 1) off1++;
            if (d > 1) worse++;
            if (oursY[i] == 127) clamped++;
        }
        String msg = String.format(Locale.ROOT, "int32 accumulators %s (%s); s8 outputs: %d of %d differ by one code, %d by more; %.2f%% at 127",
                accDiff == 0 ? "identical" : accDiff + " DIFFER", accImpl, off1, oursY.length, worse, 100.0 * clamped / oursY.length);
        if (accDiff != 0 || worse != 0) throw new AssertionError("oneDNN disagrees with ours: " + msg);
        return msg;
    }

    /** Interleaved rounds: in each, every row runs for about roundSeconds; the median ms per call of each row. */
    private static void time(List<String> report, String label, int rounds, double roundSeconds, List<Row> rows) {
        int[] reps = new int[rows.size()];
        for (int r = 0; r < rows.size(); r++) { // warm up, then calls per round from one timed call
            rows.get(r).op().run();
            long t0 = System.nanoTime();
            rows.get(r).op().run();
            reps[r] = (int) Math.max(1, Math.min(10_000, roundSeconds * 1e9 / Math.max(1, System.nanoTime() - t0)));
        }
        double[][] ms = new double[rows.size()][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int r = 0; r < rows.size(); r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < reps[r]; i++) rows.get(r).op().run();
                ms[r][round] = (System.nanoTime() - t0) / 1e6 / reps[r];
            }
        }
        double[] med = new double[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            Arrays.sort(ms[r]);
            med[r] = ms[r][rounds / 2];
        }
        for (int r = 0; r < rows.size(); r++) {
            Row row = rows.get(r);
            report.add(String.format(Locale.ROOT, "| %-44s | %-22s | %8.3f | %7.1f | %7.2fx | %8.2fx |", r == 0 ? label : "", row.kernels(), med[r],
                    row.ops() / med[r] / 1e6, med[0] / med[r], med[1] / med[r]));
        }
    }

    private static byte[] randomBytes(SplittableRandom rnd, int count) {
        byte[] b = new byte[count];
        for (int i = 0; i < count; i++) b[i] = (byte) rnd.nextInt(256);
        return b;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }
}
