package dev.nncompress.bench;

import dev.nncompress.util.ProgressListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * Two engines timed in alternating rounds of about the same length, ours then theirs, in one run: on a shared machine
 * two runs one after the other compare the load of two moments, not the engines; alternating rounds put both under the
 * same load, and the median of the per-pair ratios is what a change of load moves least. Used by the ONNX Runtime
 * ({@link OrtSideBySide}) and PyTorch ({@link PyTorchFloat}, {@link PyTorchInt8}) comparisons.
 */
public final class Alternating {
    private Alternating() {}

    /** One round of either side: images/s and the CPU microseconds per image of the process that ran it (all its threads). */
    public record Round(double imagesPerSecond, double cpuMicrosPerImage) {}

    /** Medians of each side's rounds and of the per-pair ratios (ours / theirs), with the pairs' lowest and highest ratio. */
    public record Comparison(Round ours, Round theirs, double ratio, double lowestRatio, double highestRatio, int pairs) {}

    /**
     * {@code rounds} pairs of rounds of about {@code seconds} each, ours then theirs, after one short untimed round of
     * each (a side is a function from a round's seconds to its measured round).
     */
    public static Comparison compare(DoubleFunction<Round> ours, DoubleFunction<Round> theirs, int rounds, double seconds,
                                     ProgressListener progress, String task) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        double warm = Math.min(0.5, seconds);
        ours.apply(warm);
        theirs.apply(warm);
        List<Round> a = new ArrayList<>();
        List<Round> b = new ArrayList<>();
        double[] ratio = new double[rounds];
        try (ProgressListener.Task t = progress.start(task, rounds, "pairs")) {
            for (int r = 0; r < rounds; r++) {
                a.add(ours.apply(seconds));
                b.add(theirs.apply(seconds));
                ratio[r] = a.get(r).imagesPerSecond() / b.get(r).imagesPerSecond();
                t.update(r + 1);
            }
        }
        Arrays.sort(ratio);
        return new Comparison(median(a), median(b), ratio[rounds / 2], ratio[0], ratio[rounds - 1], rounds);
    }

    /**
     * Calls {@code call} (which handles {@code imagesPerCall} images) in this process for about {@code seconds}, at
     * least once: images/s and this process's CPU time per image.
     */
    public static Round timed(Runnable call, int imagesPerCall, double seconds) {
        long c0 = Throughput.processCpuNanos();
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        long calls = 0;
        do {
            call.run();
            calls++;
        } while (System.nanoTime() < end);
        double wall = (System.nanoTime() - t0) / 1e9;
        long c1 = Throughput.processCpuNanos();
        double images = (double) calls * imagesPerCall;
        return new Round(images / wall, c0 < 0 || c1 < 0 ? Double.NaN : (c1 - c0) / 1e3 / images);
    }

    private static Round median(List<Round> rounds) {
        double[] ips = rounds.stream().mapToDouble(Round::imagesPerSecond).sorted().toArray();
        double[] cpu = rounds.stream().mapToDouble(Round::cpuMicrosPerImage).sorted().toArray();
        return new Round(ips[ips.length / 2], cpu[cpu.length / 2]);
    }
}
