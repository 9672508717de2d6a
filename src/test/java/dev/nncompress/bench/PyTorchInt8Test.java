package dev.nncompress.bench;

import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.graph.Predictor;
import dev.nncompress.tensor.Shape;
import dev.nncompress.util.ProgressListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PyTorchInt8}'s protocol with the script, against stand-in "pythons" (shell scripts), so that no torch is
 * needed: the packaged script and the arguments reach the process, rounds alternate and their medians and ratio come
 * back, and a Python without torch or no Python at all is one line saying what to set.
 */
class PyTorchInt8Test {
    @TempDir Path tmp;

    private Path fakePython(String body) throws IOException { return FakePython.write(tmp, body); }

    @Test
    void roundsAlternateWithOursAndComeBackAsMediansAndARatio() throws IOException {
        // the stand-in checks that $1 is the packaged script, echoes its arguments in the ready line, answers every
        // "round S" with 100 img/s and 7 us an image, and ends on "quit"
        Path python = fakePython("""
                grep -q 'def timed_round' "$1" || { echo "not the bench script: $1" >&2; exit 3; }
                shift
                echo "{\\"ready\\": true, \\"torch\\": \\"9.9\\", \\"engine\\": \\"x86\\", \\"threads\\": 3, \\"args\\": \\"$*\\"}"
                rounds=0
                while read -r word seconds; do
                  [ "$word" = quit ] && { echo "$rounds" > "$(dirname "$0")/rounds"; exit 0; }
                  rounds=$((rounds + 1))
                  echo '{"images_per_second": 100.0, "cpu_us_per_image": 7.0, "calls": 1}'
                done
                """);
        Predictor sleepy = new Predictor() {
            @Override public String name() { return "sleepy"; }

            @Override public Shape inputShape() { return Shape.of(2); }

            @Override public float[] logits(float[] images, int n) {
                assertEquals(2 * n, images.length);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new float[n];
            }

            @Override public void close() {}
        };
        try (PyTorchInt8 torch = PyTorchInt8.start(python.toString(), "teacher", 4, 3)) {
            assertEquals("--serve --model teacher --batch 4 --threads 3", torch.info().get("args").asText());
            assertEquals("torch 9.9, x86 engine, 3 threads", torch.describe());
            PyTorchInt8.Comparison c = torch.compare(sleepy, new float[16], 4, 3, 0.05, ProgressListener.NONE);
            assertEquals(100.0, c.pytorch().imagesPerSecond());
            assertEquals(7.0, c.pytorch().cpuMicrosPerImage());
            // 4 images per call of at least 5 ms: at most 800 img/s, so at most 8x the stand-in's 100
            assertTrue(c.ours().imagesPerSecond() > 0 && c.ours().imagesPerSecond() <= 800, "ours: " + c.ours());
            assertTrue(c.lowestRatio() <= c.ratio() && c.ratio() <= c.highestRatio() && c.highestRatio() <= 8, c.toString());
            assertEquals(3, c.pairs());
        }
        // one untimed warm-up round and three timed ones, then quit
        assertEquals("4", Files.readString(tmp.resolve("rounds")).strip());
    }

    @Test
    void aPythonWithoutTorchIsOneLineSayingWhatToSet() throws IOException {
        Path python = fakePython("echo \"Traceback (most recent call last):\" >&2\n"
                + "echo \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> PyTorchInt8.start(python.toString(), "student", 1, 1));
        assertTrue(e.getMessage().startsWith("--vs-pytorch needs a Python with torch (set NNCOMPRESS_PYTHON); "), e.getMessage());
        assertTrue(e.getMessage().endsWith("said: ModuleNotFoundError: No module named 'torch'"), e.getMessage());

        Path missing = tmp.resolve("no-such-python");
        BackendUnavailableException none = assertThrows(BackendUnavailableException.class, () -> PyTorchInt8.start(missing.toString(), "student", 1, 1));
        assertTrue(none.getMessage().contains("cannot run " + missing), none.getMessage());
    }
}
