package dev.nncompress.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.cli.Main;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.ModelIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A 4-stage recipe (train -> prune -> quantize -> export) on 512 Fashion-MNIST images, end to end through the CLI
 * and through the API (the same numbers), resumed, changed, and its report checked. One run shared by the checks:
 * the recipe runs three times in all (about 10 s of CPU here).
 */
class PipelineTest {
    @TempDir static Path tmp;
    static Path recipe;
    static Path cliDir;
    static String cliOut;
    static Pipeline.Result api;

    static String recipeText(int calib) {
        return """
                model: student
                seed: 3
                backend: cpu
                data: {train_limit: 512, test_limit: 200}
                bench: {rounds: 1, seconds: 0.02}
                stages:
                  - stage: train
                    epochs: 2
                    lr: 0.05
                  - stage: prune
                    sparsity: 0.6
                    finetune_epochs: 1
                  - stage: quantize
                    calib: %d
                    sensitivity: 64
                  - stage: export
                    format: onnx
                """.formatted(calib);
    }

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void runOnceByCliAndOnceByApi() throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        recipe = tmp.resolve("quick.yaml");
        Files.writeString(recipe, recipeText(128));
        cliDir = tmp.resolve("cli");
        Run r = cli("compress", "--recipe", recipe.toString(), "-o", cliDir.toString());
        assertEquals(0, r.code(), r.err());
        cliOut = r.out();
        api = Pipeline.fromYaml(recipe).run(tmp.resolve("api"), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    @Test
    void theCliTheApiAndThePruneCommandGiveTheSameModels() throws Exception {
        Report cliReport = Report.read(cliDir);
        assertEquals(5, cliReport.stages().size());
        assertEquals(5, api.stages().size());
        for (int i = 0; i < 5; i++) {
            StageRecord.Metrics c = cliReport.stages().get(i).metrics(), a = api.stages().get(i).metrics();
            assertEquals(c.accuracy(), a.accuracy(), cliReport.stages().get(i).label());
            assertEquals(c.params(), a.params());
            assertEquals(c.fileBytes(), a.fileBytes());
            assertTrue(java.util.Arrays.deepEquals(c.confusion(), a.confusion()), cliReport.stages().get(i).label());
        }
        // and the prune command on the same trained model gives the prune stage's accuracy (same library calls)
        Run p = cli("prune", cliDir.resolve("stage0-train.safetensors").toString(), "--sparsity", "0.6", "--finetune-epochs", "1", "--train-limit", "512",
                "--test-limit", "200", "--seed", "3", "--backend", "cpu", "--quiet");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains(String.format(java.util.Locale.ROOT, "accuracy  after fine-tuning %.2f%%", 100 * cliReport.stages().get(2).metrics().accuracy())),
                p.out());
        // the trained weights themselves, not only their accuracy
        try (Backend heap = Backends.create("reference", l -> { })) {
            var c = ModelIO.load(cliDir.resolve("stage1-prune.safetensors"), heap).graph();
            var a = ModelIO.load(tmp.resolve("api/stage1-prune.safetensors"), heap).graph();
            assertTrue(java.util.Arrays.equals(c.param("fc1.weight").value().toFloatArray(), a.param("fc1.weight").value().toFloatArray()));
        }
    }

    @Test
    void everyStageIsEvaluatedAndTheModelLearnsAndShrinks() {
        List<StageRecord> s = api.stages();
        assertEquals(List.of("input", "train", "prune", "quantize", "export"), s.stream().map(StageRecord::stage).toList());
        double untrained = s.get(0).metrics().accuracy(), trained = s.get(1).metrics().accuracy();
        assertTrue(trained > untrained + 0.2, "trained " + trained + " vs untrained " + untrained);
        for (StageRecord r : s) {
            StageRecord.Metrics m = r.metrics();
            assertEquals(200, m.testImages());
            assertEquals(200, java.util.Arrays.stream(m.confusion()).flatMapToInt(java.util.Arrays::stream).sum(), r.label());
            assertTrue(m.latencyMs() > 0 && m.throughput() > 0, r.label());
            assertEquals(52_138, m.params()); // unstructured pruning and int8 keep every parameter
        }
        // global magnitude pruning at 60%: the pruned layers together are 60% zeros
        Map<String, Double> sp = s.get(2).metrics().sparsity();
        assertEquals(List.of("conv1", "conv2", "fc1", "fc2"), List.copyOf(sp.keySet()));
        assertTrue(sp.get("fc1") > 0.5, sp.toString());
        assertTrue(s.get(2).metrics().fileBytes() < 0.75 * s.get(1).metrics().fileBytes(), "pruned weights are stored sparse");
        assertEquals("int8", s.get(3).metrics().kind());
        assertTrue(s.get(3).metrics().fileBytes() < s.get(1).metrics().fileBytes() / 3, "int8 file");
        assertFalse(s.get(3).metrics().sqnrDb().isEmpty());
        for (double db : s.get(3).metrics().sqnrDb().values()) assertTrue(db > 5 && db < 100, "sqnr " + db);
        assertTrue(Math.abs(s.get(3).metrics().accuracy() - s.get(2).metrics().accuracy()) < 0.05, "int8 within 5 points of float");
        assertEquals(s.get(3).metrics().accuracy(), s.get(4).metrics().accuracy(), "QDQ export evaluated as the int8 model");
        assertTrue(cliOut.contains("report    " + cliDir.resolve("report.html")), cliOut);
    }

    @Test
    void artefactsCarryTheRecipeAndItsHash() throws Exception {
        String sha = Recipe.sha256(Files.readString(recipe));
        Map<String, String> p = ModelIO.load(cliDir.resolve("stage1-prune.safetensors"), Backends.create("reference", l -> { })).provenance();
        assertEquals(sha, p.get("recipe_sha256"));
        assertEquals("1", p.get("stage_index"));
        assertEquals("prune", p.get("stage"));
        assertEquals(Files.readString(recipe), p.get("recipe"));
        Map<String, String> q = Int8ModelIO.load(cliDir.resolve("stage2-quantize.safetensors")).provenance();
        assertEquals(sha, q.get("recipe_sha256"));
        assertEquals("quantize", q.get("stage"));
        String onnx = new String(Files.readAllBytes(cliDir.resolve("stage3-export.onnx")), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(onnx.contains("nncompress.recipe_sha256") && onnx.contains(sha), "ONNX metadata");
        assertEquals(Files.readString(recipe), Files.readString(cliDir.resolve("recipe.yaml")));
    }

    @Test
    void aRerunSkipsTheDoneStagesAndAChangedRecipeRedoesFromTheChange() throws Exception {
        Path dir = tmp.resolve("resume");
        Path r = tmp.resolve("resume.yaml");
        Files.writeString(r, recipeText(128));
        // the CLI run's directory copied (same recipe text, so the same hash): a first run without its cost
        Files.createDirectories(dir);
        try (var files = Files.list(cliDir)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        Map<String, FileTime> before = mtimes(dir);
        Report first = Report.read(dir);

        Run again = cli("compress", "--recipe", r.toString(), "-o", dir.toString());
        assertEquals(0, again.code(), again.err());
        for (String s : List.of("stages[0] train", "stages[1] prune", "stages[2] quantize", "stages[3] export")) {
            assertTrue(again.out().contains(s) && again.out().lines().anyMatch(l -> l.startsWith(s) && l.contains("done (resumed")), again.out());
        }
        for (String f : List.of("stage0-train.safetensors", "stage1-prune.safetensors", "stage2-quantize.safetensors", "stage3-export.onnx")) {
            assertEquals(before.get(f), Files.getLastModifiedTime(dir.resolve(f)), f + " untouched");
        }
        Report resumed = Report.read(dir);
        assertTrue(resumed.stages().stream().allMatch(StageRecord::resumed));
        assertEquals(first.stages().get(4).metrics().accuracy(), resumed.stages().get(4).metrics().accuracy());

        // a changed recipe: its hash differs, so nothing is reused (the input is re-evaluated too)
        Files.writeString(r, recipeText(64));
        Run changed = cli("compress", "--recipe", r.toString(), "-o", dir.toString());
        assertEquals(0, changed.code(), changed.err());
        assertFalse(changed.out().contains("resumed"), changed.out());
        assertNotEquals(before.get("stage2-quantize.safetensors"), Files.getLastModifiedTime(dir.resolve("stage2-quantize.safetensors")));
        assertEquals(Recipe.sha256(recipeText(64)), Report.read(dir).recipeSha256());

        // a killed run: the last record missing means the stage is redone, the ones before are kept
        Files.delete(dir.resolve("stage2-quantize.json"));
        Map<String, FileTime> mid = mtimes(dir);
        Run partial = cli("compress", "--recipe", r.toString(), "-o", dir.toString());
        assertEquals(0, partial.code(), partial.err());
        assertEquals(mid.get("stage1-prune.safetensors"), Files.getLastModifiedTime(dir.resolve("stage1-prune.safetensors")));
        assertTrue(partial.out().lines().anyMatch(l -> l.startsWith("stages[2] quantize") && l.contains("accuracy")), partial.out());
        assertTrue(partial.out().lines().anyMatch(l -> l.startsWith("stages[3] export") && l.contains("accuracy")), "later stages rerun too");
    }

    private static Map<String, FileTime> mtimes(Path dir) throws Exception {
        Map<String, FileTime> m = new HashMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) m.put(f.getFileName().toString(), Files.getLastModifiedTime(f));
        }
        return m;
    }

    @Test
    void reportJsonHoldsEveryStageAndTheHtmlDrawsThePlots() throws Exception {
        JsonNode root = new JsonMapper().readTree(cliDir.resolve("report.json").toFile());
        assertEquals(Recipe.sha256(Files.readString(recipe)), root.get("recipe_sha256").asText());
        assertEquals(5, root.get("stages").size());
        JsonNode prune = root.get("stages").get(2);
        assertEquals("prune", prune.get("stage").asText());
        assertEquals(1, prune.get("index").asInt());
        assertEquals(Files.size(cliDir.resolve("stage1-prune.safetensors")), prune.get("metrics").get("file_bytes").asLong());
        for (String k : List.of("accuracy", "file_bytes", "params", "latency_ms", "throughput", "sparsity", "sqnr_db", "confusion")) {
            assertTrue(prune.get("metrics").has(k), k);
        }
        assertEquals(0.6, prune.get("settings").get("sparsity").asDouble());
        assertTrue(root.get("stages").get(3).get("metrics").get("sqnr_db").size() > 0);

        Document html = xml(cliDir.resolve("report.html"));
        Element size = byId(html, "svg", "plot-size"), latency = byId(html, "svg", "plot-latency"), confusion = byId(html, "svg", "confusion");
        assertEquals(5, size.getElementsByTagName("circle").getLength(), "one point per stage");
        assertEquals(5, latency.getElementsByTagName("circle").getLength());
        String front = ((Element) size.getElementsByTagName("polyline").item(0)).getAttribute("points");
        assertTrue(front.split(" ").length >= 1 && !front.isBlank(), "Pareto front drawn: " + front);
        assertEquals(100, confusion.getElementsByTagName("rect").getLength(), "10 x 10 cells");
        assertEquals(6, byId(html, "table", "stages").getElementsByTagName("tr").getLength(), "header + 5 stages");

        // nncompress report RUN_DIR draws the same page from report.json
        String page = Files.readString(cliDir.resolve("report.html"));
        Files.delete(cliDir.resolve("report.html"));
        Run r = cli("report", cliDir.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(page, Files.readString(cliDir.resolve("report.html")));

        Run missing = cli("report", tmp.resolve("nowhere").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("nncompress: error: ") && missing.err().contains("no report.json"), missing.err());
    }

    @Test
    void anOvershootingPruneIsBisectedBackWithinTheBudgetAndTheReportSaysWhatWasTried() throws Exception {
        // the trained model of the CLI run as input; 97% of its weights pruned without fine-tuning cannot hold 1 point
        Path r = tmp.resolve("budget.yaml");
        Files.writeString(r, """
                model: %s
                seed: 3
                backend: cpu
                data: {train_limit: 512, test_limit: 200}
                bench: {rounds: 1, seconds: 0.02}
                budget: {max_accuracy_drop: 1.0, bisection_steps: 2}
                stages:
                  - stage: prune
                    sparsity: 0.97
                    finetune_epochs: 0
                  - stage: quantize
                    calib: 128
                    sensitivity: 64
                """.formatted(cliDir.resolve("stage0-train.safetensors")));
        Pipeline.Result res = Pipeline.fromYaml(r).run(tmp.resolve("budget"), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        double reference = res.stages().get(0).metrics().accuracy();
        StageRecord prune = res.stages().get(1);
        List<String> notes = prune.notes();
        assertTrue(notes.get(0).startsWith("budget: sparsity 0.9700: ") && notes.get(0).endsWith("over budget"), notes.toString());
        assertTrue(notes.get(1).startsWith("budget: sparsity 0.4850: "), notes.toString());
        assertEquals(4, notes.size(), "the first attempt, two bisection steps, the outcome: " + notes);
        String outcome = notes.get(3);
        if (outcome.startsWith("budget: kept sparsity ")) {
            double kept = Double.parseDouble(outcome.substring("budget: kept sparsity ".length()));
            assertTrue(prune.metrics().accuracy() >= reference - 0.01, prune.metrics().accuracy() + " vs " + reference);
            // global magnitude: the pruned layers together are `kept` zeros (weights only, so within a percent)
            double zeros = 0, all = 0;
            var g = ModelIO.load(tmp.resolve("budget/stage0-prune.safetensors"), Backends.create("reference", l -> { })).graph();
            for (String l : List.of("conv1", "conv2", "fc1", "fc2")) {
                long n = g.param(l + ".weight").value().numel();
                zeros += prune.metrics().sparsity().get(l) * n;
                all += n;
            }
            assertEquals(kept, zeros / all, 0.01);
        } else {
            assertTrue(outcome.startsWith("budget: not met"), outcome);
        }
        StageRecord quant = res.stages().get(2);
        assertTrue(quant.notes().get(0).startsWith("budget: all layers int8: "), quant.notes().toString());
        if (quant.notes().get(0).endsWith("over budget")) {
            assertTrue(quant.notes().get(quant.notes().size() - 1).startsWith("budget: kept layers in float")
                    || quant.notes().get(quant.notes().size() - 1).startsWith("budget: not met"), quant.notes().toString());
        }
        String html = Files.readString(tmp.resolve("budget/report.html"));
        assertTrue(html.contains("budget: sparsity 0.4850"), "the report lists the attempts");
    }

    @Test
    void distillIntoAFreshBuiltInStudentThenStructuredPruneThenSafetensorsExport() throws Exception {
        Path r = tmp.resolve("kd.yaml");
        Files.writeString(r, """
                model: %s
                seed: 3
                backend: cpu
                data: {train_limit: 512, test_limit: 200}
                bench: {rounds: 1, seconds: 0.02}
                stages:
                  - stage: distill
                    teacher: input
                    student: student
                    epochs: 2
                    lr: 0.05
                  - stage: prune
                    structured: true
                    sparsity: 0.5
                    finetune_epochs: 1
                  - stage: export
                    format: safetensors
                  - stage: export
                    format: onnx
                """.formatted(cliDir.resolve("stage0-train.safetensors")));
        Pipeline.Result res = Pipeline.fromYaml(r).run(tmp.resolve("kd"), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        List<StageRecord> s = res.stages();
        assertTrue(s.get(1).metrics().accuracy() > 0.15, "the distilled student learned: " + s.get(1).metrics().accuracy());
        // the same distillation by the command: the same student, data, order and loss give the same accuracy
        Run d = cli("distill", "--teacher", cliDir.resolve("stage0-train.safetensors").toString(), "student", "--epochs", "2", "--lr", "0.05",
                "--train-limit", "512", "--test-limit", "200", "--seed", "3", "--cache-teacher", "--backend", "cpu", "--quiet",
                "--out", tmp.resolve("kd-cli.safetensors").toString());
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().contains(String.format(java.util.Locale.ROOT, "test accuracy %.2f%%", 100 * s.get(1).metrics().accuracy())), d.out());
        try (Backend heap = Backends.create("reference", l -> { })) {
            float[] teacher = ModelIO.load(cliDir.resolve("stage0-train.safetensors"), heap).graph().param("conv1.weight").value().toFloatArray();
            var student = ModelIO.load(tmp.resolve("kd/stage0-distill.safetensors"), heap);
            assertFalse(java.util.Arrays.equals(teacher, student.graph().param("conv1.weight").value().toFloatArray()), "a fresh student, not the teacher");
            assertEquals("distill", student.provenance().get("stage"));
        }
        assertTrue(s.get(2).metrics().params() < 0.6 * s.get(1).metrics().params(), "structured pruning removed channels: " + s.get(2).metrics().params());
        var g = ModelIO.load(tmp.resolve("kd/stage2-export.safetensors"), Backends.create("reference", l -> { }));
        assertEquals(s.get(2).metrics().params(), g.graph().parameterCount());
        assertEquals(s.get(2).metrics().accuracy(), s.get(3).metrics().accuracy(), "the exported file, read back, scores as the model");
        assertEquals("export", g.provenance().get("stage"));
        // the float ONNX export, imported back by our importer, scores as the model it was written from
        assertEquals(s.get(2).metrics().accuracy(), s.get(4).metrics().accuracy(), 1e-9);
        assertEquals(s.get(2).metrics().params(), s.get(4).metrics().params());
        assertTrue(Files.size(tmp.resolve("kd/stage3-export.onnx")) == s.get(4).metrics().fileBytes());

        // an edited report.json is refused in one line, not drawn
        Path edited = tmp.resolve("kd-edited");
        Files.createDirectories(edited);
        Files.writeString(edited.resolve("report.json"), Files.readString(tmp.resolve("kd/report.json")).replaceFirst("\"confusion\" : \\[ \\[", "\"confusion\" : [ [ 1 ], ["));
        Run bad = cli("report", edited.toString());
        assertEquals(1, bad.code(), bad.err());
        assertTrue(bad.err().startsWith("nncompress: error: ") && bad.err().contains("not a square matrix") && bad.err().lines().count() == 1, bad.err());
        assertFalse(Files.exists(edited.resolve("report.html")));
    }

    @Test
    void reportJsonPrintsTheRunsReportOnStdout() throws Exception {
        Path dir = tmp.resolve("json"); // a copy: report re-renders report.html, which other tests read
        Files.createDirectories(dir);
        try (var files = Files.list(cliDir)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        Run r = cli("report", dir.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode n = new JsonMapper().readTree(r.out());
        assertEquals(dir.resolve(Report.HTML).toString(), n.get("html").asText());
        assertEquals(new JsonMapper().readTree(dir.resolve(Report.JSON).toFile()), n.get("report"), "report.json itself");
        assertTrue(r.err().strip().endsWith("wrote " + dir.resolve(Report.HTML) + " (5 stages)"), "the text lines (summary table, wrote) go to stderr: " + r.err());
        assertTrue(r.err().contains("<- final"), "the summary table is on stderr: " + r.err());
    }

    @Test
    void theParetoFrontKeepsOnlyUndominatedStages() {
        List<StageRecord> s = List.of(rec(0, 0.90, 1000), rec(1, 0.85, 500), rec(2, 0.80, 600), rec(3, 0.70, 100));
        List<Integer> front = ReportHtml.paretoFront(s, r -> r.metrics().fileBytes()).stream().map(StageRecord::index).toList();
        assertEquals(List.of(3, 1, 0), front); // stage 2 is both larger and less accurate than stage 1
    }

    private static StageRecord rec(int i, double acc, long bytes) {
        return new StageRecord(i, "x", null, "", Map.of(), new StageRecord.Metrics(acc, 1, bytes, 1, 1, 1, 1, "float", null, null, null), 0, null, false);
    }

    private static Document xml(Path f) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
        dbf.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return dbf.newDocumentBuilder().parse(f.toFile()); // throws when the page is not well-formed
    }

    private static Element byId(Document d, String tag, String id) {
        var list = d.getElementsByTagName(tag);
        for (int i = 0; i < list.getLength(); i++) {
            Element e = (Element) list.item(i);
            if (id.equals(e.getAttribute("id"))) return e;
        }
        throw new AssertionError("no <" + tag + " id=" + id + ">");
    }
}
