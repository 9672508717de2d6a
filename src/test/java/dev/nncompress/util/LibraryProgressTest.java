package dev.nncompress.util;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.bench.Timing;
import dev.nncompress.compress.prune.MagnitudeCriterion;
import dev.nncompress.compress.prune.PruneSensitivity;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.calib.SensitivityReport;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The library's long loops report to a {@link ProgressListener} (what they report, checked by a recording one) and,
 * called without one, print nothing.
 */
class LibraryProgressTest {
    private final Backend backend = new ReferenceBackend();
    private final Dataset data = CalibFixtures.noise(24, 1);

    /** Every call as a line: {@code start NAME TOTAL UNIT}, {@code update DONE [DETAIL]}, {@code close}. */
    static final class Recording implements ProgressListener {
        final List<String> events = new ArrayList<>();

        @Override
        public Task start(String name, long total, String unit) {
            events.add("start " + name + " " + total + " " + unit);
            return new Task() {
                @Override public void update(long done, String detail) { events.add("update " + done + (detail == null ? "" : " " + detail)); }

                @Override public void close() { events.add("close"); }
            };
        }
    }

    @Test
    void calibrationAndItsSensitivityScanReportOneStepPerBatch() {
        Graph g = CalibFixtures.prepared(Models.student(backend, 1));
        Recording r = new Recording();
        QuantPlan plan = new Calibrator("minmax", 16, 8, null).calibrate(QuantTargets.of(g), data, backend, r);
        assertEquals(List.of("start calibrate minmax 2 batches", "update 1", "update 2", "close"), r.events);

        r.events.clear();
        SensitivityReport.measure(g, plan, data.slice(0, 12), backend, 8, r);
        assertEquals(List.of("start sensitivity 5 layers 2 batches", "update 1", "update 2", "close"), r.events); // input, conv1, conv2, fc1, fc2
    }

    @Test
    void pruningSensitivityReportsEachEvaluationWithItsLayer() {
        Graph g = Models.student(backend, 1);
        Recording r = new Recording();
        PruneSensitivity.measure(g, PruneTargets.of(g, List.of("conv1", "fc2")), List.of(0.5, 0.9), new MagnitudeCriterion(), data, backend, r);
        assertEquals(List.of("start sensitivity 4 evaluations", "update 1 conv1", "update 2 conv1", "update 3 fc2", "update 4 fc2", "close"), r.events);
    }

    @Test
    void benchRoundsAreSteps() {
        Recording r = new Recording();
        Timing.secondsPerCall(() -> { }, 3, 0.001, r, "bench noop");
        assertEquals(List.of("start bench noop 3 rounds", "update 1", "update 2", "update 3", "close"), r.events);
    }

    @Test
    void withoutAListenerTheLibraryPrintsNothing() {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8);
        try {
            System.setOut(capture);
            System.setErr(capture);
            Graph g = CalibFixtures.prepared(Models.student(backend, 1));
            QuantPlan plan = new Calibrator("minmax", 16, 8, null).calibrate(QuantTargets.of(g), data, backend);
            SensitivityReport.measure(g, plan, data.slice(0, 8), backend, 8);
            Graph dense = Models.student(backend, 1);
            PruneSensitivity.measure(dense, PruneTargets.of(dense, List.of("fc2")), List.of(0.5), new MagnitudeCriterion(), data, backend);
            Timing.secondsPerCall(() -> { }, 2, 0.001);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertEquals("", printed.toString(StandardCharsets.UTF_8));
    }
}
