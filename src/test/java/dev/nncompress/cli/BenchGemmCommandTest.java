package dev.nncompress.cli;

import dev.nncompress.backend.cpu.NativeInt8Kernels;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench-gemm} on tiny shapes: one row per kernel and shape, ratios against fp32; bad options are usage errors. */
class BenchGemmCommandTest {
    @Test
    void printsARowPerKernelAndShapeWithTheRatio() {
        MainTest.Run r = MainTest.run("bench-gemm", "--size", "48", "--conv-shape", "30x20x9", "--rounds", "1", "--round-seconds", "0.01");
        assertEquals(0, r.code(), r.err());
        List<String> lines = Arrays.asList(r.out().strip().split("\\R"));
        int variants = NativeInt8Kernels.cpuVariants().size();
        assertEquals(2 + 2 * (2 + variants), lines.size(), r.out()); // title, header; per shape fp32, variants, twin
        for (String shape : List.of("48x48x48", "30x20x9")) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(shape) && l.contains("fp32 cpu (OpenBLAS)") && l.endsWith("1.00x")), r.out());
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(shape) && l.contains("int8 java twin")), r.out());
            for (NativeInt8Kernels.Variant v : NativeInt8Kernels.cpuVariants()) {
                assertTrue(lines.stream().anyMatch(l -> l.startsWith(shape) && l.contains("int8 native-" + v.label())), r.out());
            }
        }
    }

    @Test
    void badShapesAndCountsAreUsageErrors() {
        MainTest.Run shape = MainTest.run("bench-gemm", "--conv-shape", "10x20");
        assertEquals(2, shape.code());
        assertTrue(shape.singleError().contains("gemm shape must be MxNxK, got '10x20'"), shape.err());
        MainTest.Run threads = MainTest.run("bench-gemm", "--threads", "0");
        assertEquals(2, threads.code());
        assertTrue(threads.singleError().contains("--threads"), threads.err());
    }
}
