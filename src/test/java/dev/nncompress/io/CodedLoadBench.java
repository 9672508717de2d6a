package dev.nncompress.io;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Loading time of a coded model file ({@link CodedStorage}) in one process: first its Huffman decoding bit by bit
 * (the decoder before the table, a table of 0 bits) against the table-driven one, read + validate + decode, in
 * alternating rounds so both see the same load and JIT state, the first (cold) round of each reported apart; then
 * the whole load (graph built on the heap backend) beside the same model written sparse (bitmask) and dense.
 * Median and minimum of the timed rounds after warm-up rounds. docs/deep-compression.md, "Loading".
 * The cold round carries the process's class loading and interpreted first run; whichever decoder goes first pays the
 * class loading, so run it both ways ({@code table-first} as the third argument).
 * Usage: CodedLoadBench CODED_FILE [rounds [table-first]]
 */
public final class CodedLoadBench {
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        Path coded = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        System.out.println("load average at start: " + loadAverage());
        Supplier<Object> bitByBit = () -> CodedStorage.decodeAll(ModelIO.readFile(coded), 0);
        Supplier<Object> table = () -> CodedStorage.decodeAll(ModelIO.readFile(coded), Huffman.Decoder.TABLE_BITS);
        if (args.length > 2 && args[2].equals("table-first")) {
            double first = ms(table);
            System.out.printf(Locale.ROOT, "cold (first calls in the process): table %.1f ms, then bit by bit %.1f ms%n", first, ms(bitByBit));
        } else {
            double first = ms(bitByBit);
            System.out.printf(Locale.ROOT, "cold (first calls in the process): bit by bit %.1f ms, then table %.1f ms%n", first, ms(table));
        }
        double[][] t = new double[4][rounds + 5];
        for (int i = 0; i < rounds + 5; i++) { // the first 5 of each are warm-up
            long c = CPU.getCurrentThreadCpuTime();
            t[0][i] = ms(bitByBit);
            long c2 = CPU.getCurrentThreadCpuTime();
            t[1][i] = ms(table);
            t[2][i] = (c2 - c) / 1e6;
            t[3][i] = (CPU.getCurrentThreadCpuTime() - c2) / 1e6;
        }
        report("read+decode, bit by bit", Arrays.copyOfRange(t[0], 5, rounds + 5), Files.size(coded));
        report("read+decode, table " + Huffman.Decoder.TABLE_BITS + " bits", Arrays.copyOfRange(t[1], 5, rounds + 5), Files.size(coded));
        // the thread's CPU time leaves out the time the scheduler gave to other processes (the machine is shared)
        report("  CPU time, bit by bit", Arrays.copyOfRange(t[2], 5, rounds + 5), Files.size(coded));
        report("  CPU time, table", Arrays.copyOfRange(t[3], 5, rounds + 5), Files.size(coded));

        Backend heap = new ReferenceBackend();
        Graph g = ModelIO.load(coded, heap).graph();
        Path dir = Files.createTempDirectory("coded-bench");
        Path sparse = dir.resolve("sparse.safetensors"), dense = dir.resolve("dense.safetensors");
        ModelIO.save(g, sparse, Map.of(), ModelIO.Storage.SPARSE);
        ModelIO.save(g, dense, Map.of(), ModelIO.Storage.DENSE);
        for (Path f : new Path[] {coded, sparse, dense}) {
            for (int i = 0; i < 5; i++) ModelIO.load(f, heap); // warm-up
            double[] ms = new double[rounds], cpu = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                long c = CPU.getCurrentThreadCpuTime();
                ms[i] = ms(() -> ModelIO.load(f, heap));
                cpu[i] = (CPU.getCurrentThreadCpuTime() - c) / 1e6;
            }
            String name = f == coded ? "coded" : f == sparse ? "sparse" : "dense";
            report("whole load, " + name, ms, Files.size(f));
            report("  CPU time, " + name, cpu, Files.size(f));
        }
        Files.delete(sparse);
        Files.delete(dense);
        Files.delete(dir);
        System.out.println("load average at end: " + loadAverage());
    }

    private static double ms(Supplier<Object> work) {
        long t = System.nanoTime();
        work.get();
        return (System.nanoTime() - t) / 1e6;
    }

    private static void report(String what, double[] ms, long bytes) {
        Arrays.sort(ms);
        System.out.printf(Locale.ROOT, "%-32s %,11d bytes  median %.1f ms (min %.1f, max %.1f) over %d rounds%n", what, bytes, ms[ms.length / 2], ms[0],
                ms[ms.length - 1], ms.length);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
