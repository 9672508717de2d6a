package dev.nncompress.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench --threads N}: the table of one predictor shared by N threads beside one thread (tiny rounds: its shape, not its numbers). */
class BenchThreadsTest {
    @Test
    void sharedPredictorTableForFloatAndInt8() {
        MainTest.Run b = MainTest.run("bench", "student", "--baseline", "none", "--rounds", "1", "--round-seconds", "0.05",
                "--train-batch", "8", "--infer-batch", "8", "--sparse", "off", "--int8", "--backend", "cpu", "--threads", "3");
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("one predictor shared by 3 threads vs 1 thread, batch 8, cpu backend, 1 alternating pairs"), b.out());
        assertTrue(b.out().matches("(?s).*\nstudent +fp32 +[0-9,]+ +[0-9,]+ +[0-9.]+x +[0-9.]+-[0-9.]+x +[0-9.]+ +[0-9.]+\n.*"), b.out());
        assertTrue(b.out().matches("(?s).*\nstudent +int8 +[0-9,]+ +[0-9,]+ +[0-9.]+x +[0-9.]+-[0-9.]+x +[0-9.]+ +[0-9.]+\n.*"), b.out());
    }

    @Test
    void threadsMustBePositive() {
        MainTest.Run b = MainTest.run("bench", "student", "--threads", "0");
        assertEquals(Main.EXIT_USAGE, b.code());
        assertTrue(b.singleError().contains("--threads must be >= 1"), b.err());
    }
}
