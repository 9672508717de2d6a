package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.OnnxImporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 17: distillation from the CLI between two imported models, the MobileNetV2-style teacher and its
 * narrower student, both given as .onnx files (no import step). The student keeps its architecture and its ONNX
 * names, its weights move, and the file records the teacher.
 */
class DistillOnnxCliTest {
    @TempDir Path tmp;

    @Test
    void distillsAnImportedTeacherIntoAnImportedStudent() throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        Path teacher = OnnxFixtures.file("mobilenetv2"), student = OnnxFixtures.file("mobilenetv2_student");
        Path out = tmp.resolve("kd.safetensors");
        MainTest.Run r = run("distill", "--teacher", teacher.toString(), student.toString(), "--epochs", "1",
                "--temperature", "4", "--alpha", "0.7", "--cache-teacher", "--lr", "0.002", "--train-limit", "256", "--test-limit", "128",
                "--backend", "cpu", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(mobilenetv2, imported from ONNX), 106,282 parameters -> student " + student
                + " (mobilenetv2_student, imported from ONNX), 13,866 parameters; T 4.0, alpha 0.7; 256 train / 128 test images"), r.out());
        assertTrue(r.out().matches("(?s).*epoch 1/1  train loss [0-9.]+  test loss [0-9.]+  test acc .*"), r.out());

        Backend ref = new ReferenceBackend();
        ModelIO.LoadedModel m = ModelIO.load(out, ref);
        Graph before = OnnxImporter.importFile(student, ref).graph();
        assertEquals(before.parameterCount(), m.graph().parameterCount());
        assertEquals(before.params().keySet(), m.graph().params().keySet(), "the student keeps its (ONNX-derived) parameter names");
        assertEquals("distill", m.provenance().get("task"));
        assertTrue(m.provenance().get("teacher").contains("mobilenetv2.onnx"), m.provenance().toString());
        String someWeight = before.params().keySet().stream().filter(k -> k.endsWith(".weight")).findFirst().orElseThrow();
        assertNotEquals(java.util.Arrays.toString(before.param(someWeight).value().toFloatArray()),
                java.util.Arrays.toString(m.graph().param(someWeight).value().toFloatArray()), "distillation trained the student");
    }
}
