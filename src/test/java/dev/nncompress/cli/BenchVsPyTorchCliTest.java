package dev.nncompress.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code bench --vs-pytorch}: a model the scripts do not build is a usage error before anything is measured (the
 * comparisons themselves: PyTorchInt8Test, PyTorchFloatTest), and so is --distill-qat without the float comparison.
 */
class BenchVsPyTorchCliTest {
    @Test
    void floatTakesStudentLenet5AndTeacherAndInt8TeacherAndStudent() {
        MainTest.Run other = MainTest.run("bench", "student", "resnet8", "--vs-pytorch");
        assertEquals(Main.EXIT_USAGE, other.code(), other.err());
        assertEquals("nncompress: error: --vs-pytorch compares the built-in student, lenet5, teacher only, not resnet8", other.singleError());

        MainTest.Run int8 = MainTest.run("bench", "student", "lenet5", "--int8", "--vs-pytorch");
        assertEquals(Main.EXIT_USAGE, int8.code(), int8.err());
        assertEquals("nncompress: error: --vs-pytorch --int8 compares the built-in teacher, student only, not lenet5", int8.singleError());
    }

    @Test
    void distillQatNeedsTheFloatComparison() {
        for (String[] args : new String[][] {{"bench", "student", "--distill-qat"}, {"bench", "student", "--distill-qat", "--vs-pytorch", "--int8"}}) {
            MainTest.Run r = MainTest.run(args);
            assertEquals(Main.EXIT_USAGE, r.code(), r.err());
            assertEquals("nncompress: error: --distill-qat needs --vs-pytorch without --int8", r.singleError());
        }
    }
}
