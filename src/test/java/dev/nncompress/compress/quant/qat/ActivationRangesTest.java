package dev.nncompress.compress.quant.qat;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QRange;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.graph.Graph;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@link ActivationRanges}: start at the PTQ plan, move by c per batch, aliases read their source. */
class ActivationRangesTest {
    private final ReferenceBackend backend = new ReferenceBackend();

    @Test
    void startsAtThePlanAndMovesByTheAveragingConstant() {
        Graph g = QatFixtures.tinyPrepared(backend, 1);
        QuantTargets targets = QuantTargets.of(g);
        QuantPlan start = new Calibrator("minmax", 16, 8, null).calibrate(targets, QatFixtures.columns(16, 1), backend);
        ActivationRanges ranges = new ActivationRanges(targets, start, 0.25);
        for (String t : targets.observedActivations()) {
            QParams p = start.activations().get(t), now = ranges.current().get(t);
            // the range the plan's codes cover gives back the plan's parameters (up to float rounding of the scale)
            assertEquals(p.zeroPoint(0), now.zeroPoint(0), t);
            assertEquals(p.scale(0), now.scale(0), 1e-6 * p.scale(0), t);
        }
        QRange r0 = start.activations().get("fc").representableRange();
        float[] batch = {-4f, 0.5f, 2f, 1f, -1f, 0f};
        QParams got = ranges.observeAndGet("fc", batch, Shape.of(2, 3));
        float min = r0.min() + 0.25f * (-4f - r0.min()), max = r0.max() + 0.25f * (2f - r0.max());
        QParams expected = QParams.fromRange(QuantTargets.ACTIVATION_SCHEME, min, max);
        assertEquals(expected, got);
        assertEquals(expected, ranges.current().get("fc"));

        // an alias neither observes nor has its own range: it reads its source's current parameters
        QParams convNow = ranges.current().get("conv");
        assertEquals(convNow, ranges.observeAndGet("pool", new float[] {100f, -100f}, Shape.of(2)));
        assertEquals(convNow, ranges.current().get("conv"));
        assertNull(ranges.observeAndGet("nosuch", new float[] {1f}, Shape.of(1)), "not planned: stays float");
    }
}
