package dev.nncompress.tools;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU side of the GPU speed targets ships in the jar, so a GPU run can compute its ratios without ND4J. */
class GpuSpeedTargetsTest {
    @Test
    void theTwoCoreBaselineIsInTheJarWithBothRates() {
        Properties p = GpuSpeedTargets.baseline();
        assertTrue(GpuSpeedTargets.rate(p, "teacher.train.batch64") > 0);
        assertTrue(GpuSpeedTargets.rate(p, "teacher.infer.batch1024") > 0);
        assertTrue(p.getProperty("measured", "").contains("bench"), "says how it was measured: " + p);
        assertThrows(IllegalStateException.class, () -> GpuSpeedTargets.rate(p, "no.such.rate"));
    }
}
