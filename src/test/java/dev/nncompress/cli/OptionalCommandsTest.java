package dev.nncompress.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Without the Spark module on the class path (the core's own tests), {@code sweep} says how to get it: one line, exit 2. */
class OptionalCommandsTest {
    @Test
    void sweepWithoutTheSparkModuleSaysHowToGetIt() {
        MainTest.Run r = MainTest.run("sweep", "--recipe", "r.yaml", "--grid", "prune.sparsity=0.5");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertEquals("nncompress: error: " + OptionalCommands.KNOWN.get("sweep"), r.singleError());
        assertEquals("", r.out());
    }

    @Test
    void theHelpListsSweep() {
        MainTest.Run r = MainTest.run("--help");
        assertTrue(r.out().lines().anyMatch(l -> l.strip().startsWith("sweep ")), r.out());
    }
}
