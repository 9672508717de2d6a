package dev.nncompress.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much of the machine's CPU time other processes took, from /proc/stat (all processes) and
 * /proc/self/stat (this JVM), so benchmarks can reject rounds measured while something else ran.
 * Returns zeros where /proc is missing.
 */
final class SystemLoad {
    private static int busyRounds;
    private static double worst;

    private SystemLoad() {}

    /** {total jiffies, busy jiffies, own jiffies}. */
    static long[] sample() {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(cpu.length, 9); i++) total += Long.parseLong(cpu[i]);
            long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
            String self = Files.readString(Path.of("/proc/self/stat"));
            String[] f = self.substring(self.lastIndexOf(')') + 2).split(" ");
            long own = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
            return new long[] {total, total - idle, own};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0, 0};
        }
    }

    /** Share of all CPU time between two samples that went to other processes. */
    static double othersShare(long[] a, long[] b) {
        long total = b[0] - a[0];
        if (total <= 0) return 0;
        return Math.max(0, (double) ((b[1] - a[1]) - (b[2] - a[2])) / total);
    }

    static void noteBusy(double share) {
        busyRounds++;
        worst = Math.max(worst, share);
    }

    /** Waits (up to maxSeconds) for a second in which other processes used under 5% of the CPU. */
    static void waitForIdle(int maxSeconds) {
        for (int s = 0; s < maxSeconds; s++) {
            long[] a = sample();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (othersShare(a, sample()) < 0.05) return;
        }
        System.out.println("(machine still busy after " + maxSeconds + " s; timings may be pessimistic)");
    }

    static void report() {
        System.out.println(busyRounds == 0 ? "no round was disturbed by other processes"
                : busyRounds + " rounds re-run because other processes took up to " + Math.round(worst * 100) + "% of the CPU");
    }
}
