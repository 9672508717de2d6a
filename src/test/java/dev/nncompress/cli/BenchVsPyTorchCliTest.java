package dev.nncompress.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench --vs-pytorch}: what it cannot compare is a usage error before anything is measured (the comparison itself: PyTorchInt8Test). */
class BenchVsPyTorchCliTest {
    @Test
    void itNeedsInt8AndTheBuiltInTeacherOrStudent() {
        MainTest.Run noInt8 = MainTest.run("bench", "teacher", "--vs-pytorch");
        assertEquals(Main.EXIT_USAGE, noInt8.code(), noInt8.err());
        assertEquals("nncompress: error: --vs-pytorch needs --int8 (it compares int8 inference)", noInt8.singleError());

        MainTest.Run other = MainTest.run("bench", "student", "lenet5", "--int8", "--vs-pytorch");
        assertEquals(Main.EXIT_USAGE, other.code(), other.err());
        assertEquals("nncompress: error: --vs-pytorch compares the built-in teacher and student only, not lenet5", other.singleError());
    }
}
