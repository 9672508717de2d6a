package dev.nncompress.pipeline;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The closing summary's baseline choice and ratios, on made-up rows (milliseconds). */
class SummaryTest {
    private static StageRecord row(int index, String stage, double accuracy, long bytes, double throughput) {
        StageRecord.Metrics m = new StageRecord.Metrics(accuracy, 100, bytes, 1000, 1.0, throughput, 100, "float", null, null, null);
        return new StageRecord(index, stage, null, "h", null, m, 1.0, null, false);
    }

    private static Report report(String model, StageRecord... rows) {
        return new Report("r.yaml", "h", "", model, "test", List.of(), List.of(rows), null);
    }

    private static final StageRecord INPUT = row(-1, "input", 0.10, 6_800_000, 1_000);
    private static final StageRecord TEACHER = row(0, "train", 0.90, 6_800_000, 2_000);
    private static final StageRecord STUDENT = row(1, "distill", 0.89, 200_000, 40_000);
    private static final StageRecord FINAL = row(2, "export", 0.885, 68_000, 50_000);

    @Test
    void anUntrainedBuiltInIsComparedThroughItsFirstTrainedModel() {
        Summary s = Summary.of(report("teacher", INPUT, TEACHER, STUDENT, FINAL));
        assertEquals(TEACHER, s.baseline());
        assertEquals(FINAL, s.last());
        assertEquals(100.0, s.sizeRatio(), 1e-9);
        assertEquals(1.5, s.accuracyDrop(), 1e-9);
        assertEquals(25.0, s.throughputRatio(), 1e-9);
        assertEquals("final (stages[2] export) vs baseline (stages[0] train): 100.0x smaller file, accuracy -1.50 points, 25.0x throughput (rows measured apart)",
                s.comparison());
    }

    @Test
    void aSideBySideMeasurementOfTheSameTwoRowsDecidesTheThroughputRatio() {
        SideBySide sb = new SideBySide("stages[0] train", "stages[2] export", 256, 5, 1_500, 120_000);
        Report r = new Report("r.yaml", "h", "", "teacher", "test", List.of(), List.of(INPUT, TEACHER, STUDENT, FINAL), sb);
        Summary s = Summary.of(r);
        assertEquals(80.0, s.throughputRatio(), 1e-9, "120,000 / 1,500, not the rows' 50,000 / 2,000");
        assertTrue(s.comparison().endsWith("80.0x throughput (side by side)"), s.comparison());
        StringWriter w = new StringWriter();
        s.print(new PrintWriter(w, true));
        assertTrue(w.toString().contains("baseline 1,500 img/s, final 120,000 img/s"), w.toString());

        SideBySide other = new SideBySide("stages[1] distill", "stages[2] export", 256, 5, 1_500, 120_000);
        Summary s2 = Summary.of(new Report("r.yaml", "h", "", "teacher", "test", List.of(), List.of(INPUT, TEACHER, STUDENT, FINAL), other));
        assertEquals(25.0, s2.throughputRatio(), 1e-9, "a measurement of other rows is not this comparison");
    }

    @Test
    void aModelFileIsItsOwnBaselineAndZerosGiveNaNNotInfinity() {
        StageRecord trained = row(-1, "input", 0.90, 6_800_000, 0);
        Summary s = Summary.of(report("runs/teacher.safetensors", trained, STUDENT));
        assertEquals(trained, s.baseline(), "a file input was trained already");
        assertTrue(Double.isNaN(s.throughputRatio()), "no throughput measured for the baseline");
        assertEquals(34.0, s.sizeRatio(), 1e-9);
    }

    @Test
    void theTableHasOneLinePerRowWithTheBaselineAndFinalMarked() {
        StringWriter w = new StringWriter();
        Summary.of(report("teacher", INPUT, TEACHER, FINAL)).print(new PrintWriter(w, true));
        List<String> lines = w.toString().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(5, lines.size(), w.toString()); // header, 3 rows, comparison
        assertTrue(lines.get(0).startsWith("stage") && lines.get(0).contains("accuracy") && lines.get(0).contains("file bytes"), lines.get(0));
        assertTrue(lines.get(1).startsWith("input") && !lines.get(1).contains("<-"), lines.get(1));
        assertTrue(lines.get(2).contains("90.00%") && lines.get(2).contains("6,800,000") && lines.get(2).endsWith("<- baseline"), lines.get(2));
        assertTrue(lines.get(3).contains("50,000") && lines.get(3).endsWith("<- final"), lines.get(3));
    }
}
