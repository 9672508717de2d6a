package dev.nncompress.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nncompress.data.FashionMnist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * recipes/fashion-mnist-demo.yaml, the README's first command (scripts/demo.sh): it parses and validates, it chains
 * what the README says (train the teacher, distill the student from it, prune, quantize, export ONNX) on all of
 * Fashion-MNIST, and it runs end to end on a slice (256 training / 100 test images, one epoch per stage), its output
 * closing with the summary table and the report's path. The full run's numbers are measured by scripts/demo.sh
 * (docs/pipeline.md, "The demo"); here a few seconds.
 */
class DemoRecipeTest {
    static final Path DEMO = Path.of("recipes/fashion-mnist-demo.yaml");

    @Test
    void theDemoRecipeTrainsTheTeacherDistillsTheStudentAndEndsInAnOnnxFile() {
        Recipe r = Recipe.read(DEMO);
        assertEquals("teacher", r.model());
        assertEquals(FashionMnist.DEFAULT_DIR, r.data().data(), "the installed Fashion-MNIST");
        assertEquals(List.of("train", "distill", "prune", "quantize", "export"), r.stages().stream().map(Stage::name).toList());
        Stage distill = r.stages().get(1);
        assertEquals("current", distill.settings().get("teacher"), "the teacher is the one the train stage trained");
        assertEquals("student", distill.settings().get("student"));
        assertTrue(String.valueOf(r.stages().get(4).settings().get("format")).startsWith("onnx"), r.stages().get(4).settings().toString());
        assertEquals(Path.of("runs/fashion-mnist-demo"), r.out());
    }

    @Test
    void theDemoRunsEndToEndOnASliceAndClosesWithTheSummary(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        YAMLMapper yaml = new YAMLMapper();
        ObjectNode tree = (ObjectNode) yaml.readTree(DEMO.toFile());
        tree.put("backend", "cpu");
        ((ObjectNode) tree.get("data")).put("train_limit", 256).put("test_limit", 100);
        tree.putObject("bench").put("rounds", 1).put("seconds", 0.02);
        for (JsonNode s : tree.get("stages")) {
            ObjectNode stage = (ObjectNode) s;
            if (stage.has("epochs")) stage.put("epochs", 1);
            if (stage.has("finetune_epochs")) stage.put("finetune_epochs", 1);
            if (stage.get("stage").asText().equals("quantize")) stage.put("calib", 64).put("sensitivity", 32);
        }
        StringWriter out = new StringWriter();
        Pipeline.Result res = Pipeline.fromYaml("fashion-mnist-demo.yaml (slice)", yaml.writeValueAsString(tree))
                .run(tmp.resolve("run"), new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));

        assertEquals(6, res.stages().size(), "input + 5 stages");
        assertEquals(1_701_130, res.stages().get(1).metrics().params(), "stage 0 trains the teacher");
        assertEquals(52_138, res.stages().get(2).metrics().params(), "stage 1 distills the student");
        assertEquals("int8", res.last().metrics().kind());
        Summary s = Summary.of(res.report());
        assertEquals("train", s.baseline().stage(), "the baseline is the trained teacher, not the untrained input");
        assertEquals("export", s.last().stage());
        // file bytes do not depend on how long it trained: the size target holds on the slice too
        assertTrue(s.sizeRatio() >= 100, "final file " + res.last().metrics().fileBytes() + " bytes vs teacher " + s.baseline().metrics().fileBytes());

        List<String> lines = out.toString().lines().toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("report ") && last.endsWith(Report.HTML), last);
        assertTrue(Files.isRegularFile(tmp.resolve("run").resolve(Report.HTML)));
        assertEquals(s.comparison(), lines.get(lines.size() - 2));
        assertTrue(s.comparison().endsWith("(side by side)"), "the teacher and the final model measured in alternating rounds: " + s.comparison());
        assertTrue(lines.get(lines.size() - 3).startsWith("throughput side by side"), lines.get(lines.size() - 3));
        int header = lines.size() - 3 - res.stages().size() - 1;
        assertTrue(lines.get(header).startsWith("stage") && lines.get(header).contains("file bytes"), lines.get(header));
        assertTrue(lines.get(header + 2).startsWith("stages[0] train") && lines.get(header + 2).endsWith("<- baseline"), lines.get(header + 2));
        assertTrue(lines.get(header + 6).startsWith("stages[4] export") && lines.get(header + 6).endsWith("<- final"), lines.get(header + 6));
        // report.json keeps the side-by-side measurement, and 'report' reads it back (bounded) into the same summary
        assertEquals(s.comparison(), Summary.of(Report.read(tmp.resolve("run"))).comparison());
    }
}
