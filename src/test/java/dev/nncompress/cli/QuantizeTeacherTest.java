package dev.nncompress.cli;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.SafeTensors;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code nncompress quantize --qat-epochs N --teacher FILE}: QAT with a teacher, in-process on small slices with the reference backend. */
class QuantizeTeacherTest {
    @TempDir Path tmp;

    /** A float teacher file: lenet5, another architecture with the student's input and 10 classes (untrained, which the loss does not mind). */
    private Path teacher() {
        Path f = tmp.resolve("lenet5.safetensors");
        ModelIO.save(Models.byName("lenet5", new ReferenceBackend(), 3), f, Map.of());
        return f;
    }

    /** Quantizes the built-in student with one QAT epoch on 256 images (plus {@code extra}) and returns the int8 file's tensors. */
    private Map<String, TensorRecord> qat(String name, String... extra) throws IOException {
        Path out = tmp.resolve(name + ".safetensors");
        String[] base = {"quantize", "student", "--calib", "64", "--test-limit", "64", "--sensitivity-images", "0", "--qat-epochs", "1", "--qat-images", "256",
                "--backend", "reference", "--int8-kernels", "java", "--quiet", "--out", out.toString()};
        String[] args = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        MainTest.Run r = run(args);
        assertEquals(0, r.code(), r.err());
        assertEquals(extra.length > 0, r.out().contains("qat       with teacher "), r.out());
        return SafeTensors.read(out).tensors(); // not the metadata: its provenance holds the time of writing
    }

    /**
     * At alpha 0 the teacher's term has weight 0: the int8 file is plain QAT's to the bit; at 0.5 it is not, and a
     * cached teacher gives the live teacher's result exactly.
     */
    @Test
    void alphaZeroIsPlainQatAndATeacherChangesTheResult() throws IOException {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        String t = teacher().toString();
        Map<String, TensorRecord> plain = qat("plain");
        assertEquals(plain, qat("alpha0", "--teacher", t, "--alpha", "0"));
        Map<String, TensorRecord> live = qat("live", "--teacher", t, "--alpha", "0.5");
        assertEquals(plain.keySet(), live.keySet());
        assertNotEquals(plain, live);
        Map<String, String> made = dev.nncompress.io.Int8ModelIO.load(tmp.resolve("live.safetensors")).provenance();
        assertEquals(t, made.get("teacher"), made.toString());
        assertTrue(made.get("config").contains("\"qat_epochs\":1") && made.get("config").contains("\"alpha\":0.5")
                && made.get("config").contains("\"observer\":\"minmax\""), made.get("config"));
        assertEquals(live, qat("cached", "--teacher", t, "--alpha", "0.5", "--cache-teacher"));
    }

    @Test
    void teacherMisuseIsAUsageErrorBeforeAnyWork() {
        // no dataset: every case but the last is refused before an image is read
        String none = tmp.resolve("none").toString();
        MainTest.Run noQat = run("quantize", "student", "--teacher", teacher().toString(), "--backend", "reference", "--data", none);
        assertEquals(Main.EXIT_USAGE, noQat.code(), noQat.err());
        assertTrue(noQat.singleError().contains("--teacher") && noQat.singleError().contains("--qat-epochs"), noQat.err());

        MainTest.Run noTeacher = run("quantize", "student", "--qat-epochs", "1", "--alpha", "0.5", "--backend", "reference", "--data", none);
        assertEquals(Main.EXIT_USAGE, noTeacher.code(), noTeacher.err());
        assertTrue(noTeacher.singleError().contains("Missing required argument(s): --teacher=FILE"), noTeacher.err());

        GraphBuilder gb = new GraphBuilder("five", Shape.of(1, 28, 28), new ReferenceBackend(), 1);
        Graph five = gb.build(gb.linear("fc", gb.flatten("flatten", Graph.INPUT), 5));
        Path fiveFile = tmp.resolve("five.safetensors");
        ModelIO.save(five, fiveFile, Map.of());
        // a built-in student is built for the data's classes, so this check needs a dataset (4 images)
        String tiny = TinyFashionMnist.write(tmp.resolve("tiny"), 4).toString();
        MainTest.Run classes = run("quantize", "student", "--qat-epochs", "1", "--teacher", fiveFile.toString(), "--backend", "reference", "--data", tiny);
        assertEquals(Main.EXIT_USAGE, classes.code(), classes.err());
        assertTrue(classes.singleError().contains("teacher five has 5 classes, student student outputs [10]; distillation needs the same class count"),
                classes.err());
    }
}
