package dev.nncompress.cli;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bench --vs-ort}: one tiny round of the student beside ONNX Runtime (on the test class path) on our float and
 * QDQ exports prints the table with a ratio per row (its shape, not its numbers: speed is docs/benchmarks.md's).
 */
class BenchVsOrtCliTest {
    @Test
    void studentFloatAndInt8BesideOnnxRuntime() {
        MainTest.Run b = MainTest.run("bench", "student", "--vs-ort", "--int8", "--baseline", "none", "--rounds", "1", "--round-seconds", "0.05",
                "--train-batch", "8", "--infer-batch", "16", "--sparse", "off", "--backend", "cpu");
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("inference vs ONNX Runtime 1.28.0 (CPU execution provider, all optimisations, "), b.out());
        for (String precision : new String[] {"fp32", "int8"}) {
            // ours img/s, ORT img/s, ratio, the pairs' range, CPU us/img of each, and for int8 ours against ORT's fp32
            Matcher m = Pattern.compile("\nstudent +" + precision + " inference 16 +([0-9,]+) +([0-9,]+) +([0-9.]+)x +[0-9.]+-[0-9.]+x +[0-9.]+ +[0-9.]+ +"
                    + (precision.equals("int8") ? "[0-9.]+x" : "") + "\n").matcher(b.out());
            assertTrue(m.find(), precision + " row missing:\n" + b.out());
            double ours = Double.parseDouble(m.group(1).replace(",", "")), ort = Double.parseDouble(m.group(2).replace(",", ""));
            double ratio = Double.parseDouble(m.group(3));
            assertTrue(ours > 0 && ort > 0, b.out());
            // one pair: its ratio is the medians' ratio (up to the printed rounding)
            assertEquals(ours / ort, ratio, 0.01 + 0.02 * ratio, b.out());
        }
    }
}
