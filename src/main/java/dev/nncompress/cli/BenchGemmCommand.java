package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.cpu.NativeInt8Kernels;
import dev.nncompress.backend.ref.JavaInt8Kernels;
import dev.nncompress.bench.GemmBench;
import dev.nncompress.bench.GemmBench.Dims;
import dev.nncompress.bench.Timing;
import dev.nncompress.train.Check;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code nncompress bench-gemm}: GOP/s of our float GEMM (the cpu backend's matmul, OpenBLAS sgemm)
 * beside our int8 GEMM (every native variant this CPU runs, and the Java twin) on the same shapes and
 * threads, with the int8 / fp32 ratio.
 */
@Command(name = "bench-gemm", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Measure int8 GEMM (native variants, Java twin) against the fp32 GEMM of the cpu backend, side by side.",
                "Example: nncompress bench-gemm --size 1024 --threads 1"})
final class BenchGemmCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @ParentCommand Main main; // --quiet: no progress lines

    @Option(names = "--size", defaultValue = "1024", paramLabel = "N", description = "Square GEMM m = n = k (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--conv-shape", defaultValue = "50176x64x288", paramLabel = "MxNxK|none",
            description = "A second, conv-shaped GEMM (default: ${DEFAULT-VALUE}: 256 images of 14x14, 3x3x32 -> 64 channels).")
    String convShape;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "Threads of every GEMM, fp32 and int8 (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--rounds", defaultValue = "5", paramLabel = "N", description = "Timed rounds; the median is reported (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--round-seconds", defaultValue = "0.5", paramLabel = "S", description = "Length of one round (default: ${DEFAULT-VALUE}).")
    double roundSeconds;

    @Option(names = "--java", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also time the Java twin (one short round; slow). Default: on.")
    boolean java;

    @Mixin
    JsonOption json;

    /** The table's rows, for --json. */
    private final List<Map<String, Object>> rows = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = json.text();
        PrintWriter err = spec.commandLine().getErr();
        Check.positive("--size", size);
        Check.positive("--threads", threads);
        Check.positive("--rounds", rounds);
        Check.positive("--round-seconds", roundSeconds);
        List<Dims> shapes = new ArrayList<>(List.of(new Dims(size, size, size)));
        if (!convShape.equalsIgnoreCase("none")) shapes.add(Dims.parse(convShape));

        List<Int8Kernels> int8 = new ArrayList<>();
        for (NativeInt8Kernels.Variant v : NativeInt8Kernels.cpuVariants()) int8.add(NativeInt8Kernels.of(v, threads));
        if (int8.isEmpty()) err.println("bench-gemm: no native int8 kernels: " + NativeInt8Kernels.unavailableReason());
        try (Backend cpu = CliSupport.createBackend("cpu", err)) {
            CpuBackend.limitBlasThreads(threads);
            table(out, cpu, shapes, int8);
        } finally {
            CpuBackend.limitBlasThreads(Integer.MAX_VALUE); // in-process callers (tests) get all threads back
        }
        json.print(Map.of("threads", threads, "rounds", rounds, "rows", rows));
        return Main.EXIT_OK;
    }

    private void table(PrintWriter out, Backend cpu, List<Dims> shapes, List<Int8Kernels> int8) {
        out.printf(Locale.ROOT, "GEMM C[m,n] = A[m,k] x B[n,k]^T, %d thread%s, median of %d rounds; int8 = s8 x s8 -> s32 -> float epilogue (scale, bias)%n",
                threads, threads == 1 ? "" : "s", rounds);
        out.printf(Locale.ROOT, "%-16s %-24s %10s %10s %9s%n", "m x n x k", "kernels", "ms", "GOP/s", "vs fp32");
        for (Dims d : shapes) {
            List<GemmBench.Op> ops = new ArrayList<>();
            List<String> names = new ArrayList<>();
            try {
                ops.add(GemmBench.fp32(cpu, d, 1));
                names.add("fp32 cpu (OpenBLAS)");
                for (Int8Kernels k : int8) {
                    ops.add(GemmBench.int8(k, d, 2));
                    names.add("int8 " + k.name());
                }
                // interleaved rounds: load from other processes falls on fp32 and int8 alike
                List<Timing.Result> times = Timing.interleaved(ops, rounds, roundSeconds, ConsoleProgress.of(main.quiet, spec.commandLine().getErr()),
                        "bench-gemm " + d);
                for (int i = 0; i < ops.size(); i++) row(out, d, names.get(i), times.get(i), times.get(0));
                if (java) { // ~100x slower: one short round keeps the run bounded
                    try (GemmBench.Op twin = GemmBench.int8(new JavaInt8Kernels(threads), d, 2)) {
                        row(out, d, "int8 java twin", Timing.secondsPerCall(twin, 1, 0.1), times.get(0));
                    }
                }
            } finally {
                for (GemmBench.Op op : ops) op.close();
            }
        }
    }

    private void row(PrintWriter out, Dims d, String kernels, Timing.Result t, Timing.Result fp32) {
        out.printf(Locale.ROOT, "%-16s %-24s %10.2f %10.1f %8.2fx%n", d, kernels, t.median() * 1e3, d.ops() / t.median() / 1e9,
                fp32.median() / t.median());
        out.flush();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("shape", d.toString());
        r.put("kernels", kernels);
        r.put("ms", t.median() * 1e3);
        r.put("gops", d.ops() / t.median() / 1e9);
        r.put("vs_fp32", fp32.median() / t.median());
        rows.add(r);
    }
}
