package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.ModelIO;
import dev.nncompress.models.GraphBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code nncompress distill}, in-process on small slices with the reference backend. One teacher, trained once for the
 * class (every test only reads it), instead of one per test.
 */
class DistillCommandTest {
    @TempDir static Path shared;
    @TempDir Path tmp;
    private static Path teacher;

    @BeforeAll
    static void trainATeacher() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        teacher = shared.resolve("teacher.safetensors");
        MainTest.Run r = run("train", "--model", "student", "--seed", "1", "--epochs", "1", "--train-limit", "512", "--test-limit", "64",
                "--backend", "reference", "--quiet", "--out", teacher.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void distillsWithCachedLogitsAndRecordsTheTeacher() {
        Path out = tmp.resolve("kd.safetensors");
        MainTest.Run r = run("distill", "--teacher", teacher.toString(), "student", "--epochs", "1", "--temperature", "4", "--alpha", "0.9",
                "--cache-teacher", "--train-limit", "256", "--test-limit", "128", "--backend", "reference", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("-> student student (built-in, untrained, seed 42), 52,138 parameters; T 4.0, alpha 0.9; 256 train / 128 test images"), r.out());
        assertTrue(r.out().contains("cached teacher logits for 256 images"), r.out());
        assertTrue(r.out().matches("(?s).*epoch 1/1  train loss [0-9.]+  test loss [0-9.]+  test acc .*"), r.out());
        ModelIO.LoadedModel m = ModelIO.load(out, new ReferenceBackend());
        assertEquals("distill", m.provenance().get("task"));
        assertTrue(m.provenance().get("teacher").contains("teacher.safetensors (student)"), m.provenance().toString());
        assertTrue(m.provenance().get("config").contains("\"temperature\":4.0") && m.provenance().get("config").contains("\"alpha\":0.9"));
    }

    @Test
    void cachesAttentionMapsWithTheLogits() {
        MainTest.Run r = run("distill", "--teacher", teacher.toString(), "student", "--epochs", "1", "--attention", "pool2",
                "--cache-teacher", "--train-limit", "256", "--test-limit", "64", "--backend", "reference", "--quiet", "--out", tmp.resolve("at.safetensors").toString());
        assertEquals(0, r.code(), r.err());
        // 256 x (10 logits + a 7x7 map) floats
        assertTrue(r.out().contains("cached teacher logits and attention maps for 256 images (0.1 MB)"), r.out());
    }

    /** alpha 0 is train's loss: with the same seed and slice the saved weights are identical, so the data order is too. */
    @Test
    void alphaZeroWritesTheSameWeightsAsTrain() {
        Path plain = tmp.resolve("plain.safetensors");
        Path kd = tmp.resolve("kd0.safetensors");
        assertEquals(0, run("train", "--model", "student", "--epochs", "1", "--train-limit", "192", "--test-limit", "32", "--backend", "reference", "--quiet",
                "--out", plain.toString()).code());
        MainTest.Run r = run("distill", "--teacher", teacher.toString(), "student", "--epochs", "1", "--alpha", "0", "--train-limit", "192",
                "--test-limit", "32", "--backend", "reference", "--quiet", "--out", kd.toString());
        assertEquals(0, r.code(), r.err());
        Backend b = new ReferenceBackend();
        Graph a = ModelIO.load(plain, b).graph();
        Graph c = ModelIO.load(kd, b).graph();
        for (Parameter p : a.params().values()) assertArrayEquals(p.value().toFloatArray(), c.param(p.name()).value().toFloatArray(), p.name());
    }

    @Test
    void int8TeacherAndFeatureLossesRun() {
        Path int8 = tmp.resolve("teacher-int8.safetensors");
        MainTest.Run q = run("quantize", teacher.toString(), "--calib", "64", "--test-limit", "32", "--sensitivity-images", "0", "--backend", "reference",
                "--int8-kernels", "java", "--quiet", "--out", int8.toString());
        assertEquals(0, q.code(), q.err());
        MainTest.Run r = run("distill", "--teacher", int8.toString(), "student", "--epochs", "1", "--train-limit", "128", "--test-limit", "32",
                "--backend", "reference", "--int8-kernels", "java", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(student, int8)"), r.out());
        MainTest.Run f = run("distill", "--teacher", teacher.toString(), "student", "--epochs", "1", "--train-limit", "128", "--test-limit", "32",
                "--hint", "conv2", "--attention", "pool1:pool1", "--backend", "reference", "--quiet");
        assertEquals(0, f.code(), f.err());
        MainTest.Run hintOnInt8 = run("distill", "--teacher", int8.toString(), "student", "--hint", "conv2", "--train-limit", "64",
                "--backend", "reference", "--int8-kernels", "java", "--quiet");
        assertEquals(Main.EXIT_USAGE, hintOnInt8.code());
        assertTrue(hintOnInt8.singleError().contains("int8 model"), hintOnInt8.err());
    }

    @Test
    void prunedStudentKeepsItsZeros() {
        Path pruned = tmp.resolve("pruned.safetensors");
        assertEquals(0, run("prune", teacher.toString(), "--sparsity", "0.5", "--scope", "layer", "--finetune-epochs", "0", "--test-limit", "32", "--backend", "reference", "--quiet",
                "--out", pruned.toString()).code());
        Path out = tmp.resolve("pruned-kd.safetensors");
        MainTest.Run r = run("distill", "--teacher", teacher.toString(), pruned.toString(), "--keep-zeros", "--epochs", "1", "--train-limit", "128",
                "--test-limit", "32", "--backend", "reference", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("holding 50.0% zero weights at zero"), r.out());
        Backend b = new ReferenceBackend();
        Graph before = ModelIO.load(pruned, b).graph();
        Graph after = ModelIO.load(out, b).graph();
        float[] w0 = before.param("fc1.weight").value().toFloatArray();
        float[] w1 = after.param("fc1.weight").value().toFloatArray();
        for (int i = 0; i < w0.length; i++) if (w0[i] == 0f) assertEquals(0f, w1[i], "fc1.weight[" + i + "]");
    }

    @Test
    void badInputIsAUsageErrorNamingTheProblem() throws Exception {
        // a 5-class model with the student's input: incompatible class counts
        GraphBuilder gb = new GraphBuilder("five", dev.nncompress.tensor.Shape.of(1, 28, 28), new ReferenceBackend(), 1);
        Graph five = gb.build(gb.linear("fc", gb.flatten("flatten", Graph.INPUT), 5));
        Path fiveFile = tmp.resolve("five.safetensors");
        ModelIO.save(five, fiveFile, Map.of());
        Map<String, String[]> cases = Map.of(
                "teacher five has 5 classes, student student outputs [10]; distillation needs the same class count",
                new String[] {"--teacher", fiveFile.toString(), "student"},
                "--teacher student is a built-in, untrained model", new String[] {"--teacher", "student", "student"},
                "--alpha must be in [0.0, 1.0], got 1.5", new String[] {"--teacher", teacher.toString(), "student", "--alpha", "1.5"},
                "--temperature must be > 0", new String[] {"--teacher", teacher.toString(), "student", "--temperature", "0"},
                "student student has no node 'conv9'; its nodes:", new String[] {"--teacher", teacher.toString(), "student", "--hint", "conv9:conv2"},
                "--hint 'conv2::': expected STUDENT_LAYER[:TEACHER_LAYER]", new String[] {"--teacher", teacher.toString(), "student", "--hint", "conv2::"},
                "conv2 -> conv2: a HintLoss needs the teacher's whole [16, 14, 14] map per image; caching it for 64 images would take 0.8 MB",
                new String[] {"--teacher", teacher.toString(), "student", "--hint", "conv2", "--cache-teacher"});
        for (var c : cases.entrySet()) {
            String[] args = concat(c.getValue(), "--train-limit", "64", "--test-limit", "16", "--backend", "reference", "--quiet", "--out", tmp.resolve("x.safetensors").toString());
            MainTest.Run r = run(concat(new String[] {"distill"}, args));
            assertEquals(Main.EXIT_USAGE, r.code(), c.getKey() + ": " + r.err());
            assertTrue(r.singleError().contains(c.getKey()), r.err());
        }
        assertFalse(Files.exists(tmp.resolve("x.safetensors")));
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
