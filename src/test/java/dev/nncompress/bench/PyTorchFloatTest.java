package dev.nncompress.bench;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.backend.Backends;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.models.Models;
import dev.nncompress.util.ProgressListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link PyTorchFloat}'s protocol with {@code bench-pytorch-float.py}, against a stand-in "python" (a shell script), so that
 * no torch is needed: both packaged scripts reach one folder, the arguments reach the process, train and infer rounds
 * alternate with ours and come back as medians and ratios, and a Python without torch is one line. The real script runs
 * only in the slow group, where {@code $NNCOMPRESS_PYTHON} has torch; elsewhere that test is skipped with one line.
 */
class PyTorchFloatTest {
    @TempDir Path tmp;

    private Path fakePython(String body) throws IOException { return FakePython.write(tmp, body); }

    @Test
    void trainAndInferRoundsAlternateWithOurs() throws IOException {
        // the stand-in checks that $1 is the float script with the int8 one beside it (it imports its loader), echoes
        // its arguments, answers "train S" with 100 img/s and "infer S" with 1000, logs the requests, ends on "quit"
        Path python = fakePython("""
                grep -q 'def train_step' "$1" || { echo "not the float bench script: $1" >&2; exit 3; }
                [ -f "$(dirname "$1")/bench-pytorch-int8.py" ] || { echo "no int8 script beside $1" >&2; exit 3; }
                shift
                echo "{\\"ready\\": true, \\"torch\\": \\"9.9\\", \\"threads\\": 3, \\"args\\": \\"$*\\"}"
                log="$(dirname "$0")/requests"
                while read -r word seconds; do
                  echo "$word" >> "$log"
                  [ "$word" = quit ] && exit 0
                  if [ "$word" = train ]; then ips=100.0; else ips=1000.0; fi
                  echo "{\\"images_per_second\\": $ips, \\"cpu_us_per_image\\": 7.0, \\"calls\\": 1}"
                done
                """);
        Backend b = Backends.defaultBackend();
        Graph g = Models.byName("student", b, 1);
        float[] x = new float[8 * g.inputShape().numel()];
        int[] y = new int[8];
        try (PyTorchFloat torch = PyTorchFloat.start(python.toString(), "student", 4, 8, 3)) {
            assertEquals("--serve --model student --train-batch 4 --infer-batch 8 --threads 3", torch.info().get("args").asText());
            assertEquals("torch 9.9, 3 threads", torch.describe());
            Alternating.Comparison t = torch.training(g, b, x, y, 2, 0.02, ProgressListener.NONE);
            assertEquals(100.0, t.theirs().imagesPerSecond());
            assertTrue(t.ours().imagesPerSecond() > 0 && t.ours().cpuMicrosPerImage() > 0, t.toString());
            assertEquals(t.ours().imagesPerSecond() / 100.0, t.ratio(), 0.5 * t.ratio(), t.toString()); // the median pair's ratio
            assertTrue(t.lowestRatio() <= t.ratio() && t.ratio() <= t.highestRatio(), t.toString());
            try (GraphPredictor p = new GraphPredictor(g, b)) {
                Alternating.Comparison i = torch.inference(p, x, 2, 0.02, ProgressListener.NONE);
                assertEquals(1000.0, i.theirs().imagesPerSecond());
                assertEquals(2, i.pairs());
            }
        }
        // one untimed warm-up and two timed rounds of each mode, in turn, then quit
        assertEquals(List.of("train", "train", "train", "infer", "infer", "infer", "quit"), Files.readAllLines(tmp.resolve("requests")));
    }

    @Test
    void distillAndQatRoundsAlternateWithOurs() throws IOException {
        // the stand-in answers "distill S" with 50 img/s and "qat S" with 70, logs the requests, ends on "quit"
        Path python = fakePython("""
                echo "{\\"ready\\": true, \\"torch\\": \\"9.9\\", \\"threads\\": 1}"
                log="$(dirname "$0")/requests"
                while read -r word seconds; do
                  echo "$word" >> "$log"
                  [ "$word" = quit ] && exit 0
                  if [ "$word" = distill ]; then ips=50.0; else ips=70.0; fi
                  echo "{\\"images_per_second\\": $ips, \\"cpu_us_per_image\\": 7.0, \\"calls\\": 1}"
                done
                """);
        Backend b = Backends.defaultBackend();
        Graph student = Models.byName("student", b, 1);
        float[] x = new float[4 * student.inputShape().numel()];
        int[] y = {1, 2, 3, 4};
        try (PyTorchFloat torch = PyTorchFloat.start(python.toString(), "student", 4, 4, 1)) {
            Alternating.Comparison d = torch.distillation(student, Models.byName("teacher", b, 2), b, x, y, 1, 0.02, ProgressListener.NONE);
            assertEquals(50.0, d.theirs().imagesPerSecond());
            assertTrue(d.ours().imagesPerSecond() > 0 && d.ours().cpuMicrosPerImage() > 0, d.toString());
            Alternating.Comparison q = torch.qat(student, b, x, y, 1, 0.02, ProgressListener.NONE);
            assertEquals(70.0, q.theirs().imagesPerSecond());
            assertEquals(q.ours().imagesPerSecond() / 70.0, q.ratio(), 1e-9);
        }
        assertEquals(List.of("distill", "distill", "qat", "qat", "quit"), Files.readAllLines(tmp.resolve("requests")));
    }

    @Test
    void aPythonWithoutTorchIsOneLineAndOtherModelsAreRefused() throws IOException {
        Path python = fakePython("echo \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> PyTorchFloat.start(python.toString(), "lenet5", 1, 1, 1));
        assertEquals("--vs-pytorch needs a Python with torch (set NNCOMPRESS_PYTHON); " + python + " said: ModuleNotFoundError: No module named 'torch'",
                e.getMessage());
        Path missing = tmp.resolve("no-such-python");
        BackendUnavailableException none = assertThrows(BackendUnavailableException.class, () -> PyTorchFloat.start(missing.toString(), "student", 1, 1, 1));
        assertTrue(none.getMessage().contains("cannot run " + missing) && !none.getMessage().contains("\n"), none.getMessage());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> PyTorchFloat.start(python.toString(), "resnet8", 1, 1, 1));
        assertEquals("--vs-pytorch compares the built-in student, lenet5, teacher only, not resnet8", other.getMessage());
    }

    /**
     * The real script on a real torch: every built-in it knows builds, trains and infers. Slow (three torch starts, ~10 s
     * of CPU): {@code -Dgroups=slow} with {@code $NNCOMPRESS_PYTHON} set; skipped with one line where it has no torch.
     */
    @Test
    @Tag("slow")
    void theRealScriptWhereTorchIsInstalled() throws IOException {
        String python = System.getenv(PyTorchInt8.PYTHON_ENV);
        assumeTrue(python != null && !python.isBlank(), "no " + PyTorchInt8.PYTHON_ENV + " set: the real PyTorch script is not run");
        for (String model : PyTorchFloat.MODELS) {
            PyTorchFloat started;
            try {
                started = PyTorchFloat.start(python, model, 4, 4, 1);
            } catch (BackendUnavailableException e) {
                throw new TestAbortedException(e.getMessage()); // skipped, with the one line saying why
            }
            try (PyTorchFloat torch = started) {
                assertEquals(model, torch.info().path("model").asText());
                assertTrue(torch.round("train", 0.01).imagesPerSecond() > 0 && torch.round("infer", 0.01).imagesPerSecond() > 0, model);
                assertTrue(torch.round("distill", 0.01).imagesPerSecond() > 0 && torch.round("qat", 0.01).imagesPerSecond() > 0, model);
            }
        }
    }
}
