package dev.nncompress.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.DataRequest;
import dev.nncompress.data.DataSource;
import dev.nncompress.data.Normalization;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.ModelIO;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's data target end to end: an image folder of RGB 32x32 PNGs made here (three classes told apart by their
 * dominant colour under noise) trains a built-in model built for 3x32x32 and 3 classes, which is then pruned,
 * quantized to an int8 file and evaluated; the normalisation computed at training travels in every file's metadata.
 */
class ImageFolderCliTest {
    @TempDir static Path tmp;
    static Path data;

    private static final List<String> CLASSES = List.of("blue", "green", "red");

    /** 3 classes x 80 images; class c adds 110 to channel (2 - c) of RGB noise in [0, 120). */
    @BeforeAll
    static void writeImages() throws IOException {
        data = tmp.resolve("shapes");
        SplittableRandom rng = new SplittableRandom(17);
        for (int c = 0; c < CLASSES.size(); c++) {
            Path dir = Files.createDirectories(data.resolve(CLASSES.get(c)));
            for (int i = 0; i < 80; i++) {
                BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
                byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
                for (int p = 0; p < bgr.length; p++) bgr[p] = (byte) (rng.nextInt(120) + (p % 3 == c ? 110 : 0)); // BGR: blue is byte 0
                ImageIO.write(img, "png", dir.resolve(String.format(Locale.ROOT, "%03d.png", i)).toFile());
            }
        }
    }

    private static String path(String name) { return tmp.resolve(name).toString(); }

    private static double accuracy(String out, String prefix) {
        String line = out.lines().filter(l -> l.startsWith(prefix)).reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no '" + prefix + "' in\n" + out));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+\\.\\d+)%").matcher(line);
        assertTrue(m.find(), line);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void rgbFolderTrainsPrunesQuantizesAndEvaluates() throws Exception {
        String model = path("student.safetensors");
        MainTest.Run train = run("train", "--model", "student", "--data", data.toString(), "--epochs", "1", "--batch-size", "16", "--lr", "0.02",
                "--backend", "reference", "--quiet", "--out", model);
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("on 192 train / 48 test images"), train.out());
        assertTrue(train.out().contains("data      image-folder " + data + ": 3x32x32, 3 classes (blue, green, red), 192 train / 48 test images (seeded 0.2 test split, seed 0)"),
                train.out());
        assertTrue(train.out().contains("input     normalised per channel as (x/255 - mean)/std, mean [") && train.out().contains("computed from the 192 training images"),
                train.out());
        assertTrue(accuracy(train.out(), "saved ") >= 90, train.out());

        // the model was built for the data, and its file says how to feed it
        Graph g = ModelIO.load(Path.of(model), new ReferenceBackend()).graph();
        assertEquals(Shape.of(3, 32, 32), g.inputShape());
        assertEquals(3, g.param("fc2.weight").value().shape().dim(0));
        Map<String, String> prov = ModelIO.load(Path.of(model), new ReferenceBackend()).provenance();
        Normalization computed = DataSource.load(DataRequest.of(data).withLimits(DataRequest.ALL, 0)).train().statistics();
        JsonNode norm = new JsonMapper().readTree(prov.get("input_normalization"));
        for (int c = 0; c < 3; c++) {
            assertEquals(computed.mean()[c], norm.get("mean").get(c).floatValue());
            assertEquals(computed.std()[c], norm.get("std").get(c).floatValue());
        }
        assertEquals("[\"blue\",\"green\",\"red\"]", prov.get("class_names"));
        assertEquals("image-folder", prov.get("dataset"));

        MainTest.Run info = run("info", model);
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("classes     3: blue, green, red") && info.out().contains("input       normalised with " + computed), info.out());
        JsonNode json = new JsonMapper().readTree(run("info", model, "--json").out());
        assertEquals("green", json.get("class_names").get(1).asText());
        assertEquals(computed.std()[2], json.get("normalization").get("std").get(2).floatValue());

        String pruned = path("pruned.safetensors");
        MainTest.Run prune = run("prune", model, "--data", data.toString(), "--sparsity", "0.5", "--finetune-epochs", "1", "--train-limit", "64", "--batch-size", "16",
                "--backend", "reference", "--quiet", "--out", pruned);
        assertEquals(0, prune.code(), prune.err());
        assertTrue(prune.out().contains("as stored in the model file"), prune.out());
        assertTrue(accuracy(prune.out(), "accuracy  after fine-tuning") >= 90, prune.out());
        assertEquals(prov.get("input_normalization"), ModelIO.load(Path.of(pruned), new ReferenceBackend()).provenance().get("input_normalization"));

        String int8 = path("int8.safetensors");
        MainTest.Run quantize = run("quantize", pruned, "--data", data.toString(), "--calib", "64", "--sensitivity-images", "0", "--backend", "reference",
                "--quiet", "--out", int8);
        assertEquals(0, quantize.code(), quantize.err());
        assertTrue(accuracy(quantize.out(), "int8      ") >= 90, quantize.out());
        Map<String, String> q = Int8ModelIO.load(Path.of(int8)).provenance();
        assertEquals(prov.get("input_normalization"), q.get("input_normalization"));
        assertEquals(prov.get("class_names"), q.get("class_names"));

        MainTest.Run eval = run("eval", int8, "--data", data.toString(), "--backend", "reference", "--confusion");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("as stored in the model file") && eval.out().contains(" 2 red "), eval.out());
        assertEquals(accuracy(quantize.out(), "int8      "), accuracy(eval.out(), "accuracy  "), 1e-9, "eval reads the same split, normalised the same");
    }

    @Test
    void aModelWithoutStoredNormalisationGetsTheDatasetsAndOptionsWin() throws Exception {
        // as an imported model: no provenance at all
        Path bare = tmp.resolve("bare.safetensors");
        ModelIO.save(Models.student(new ReferenceBackend(), 1, Shape.of(3, 32, 32), 3), bare, Map.of());
        MainTest.Run eval = run("eval", bare.toString(), "--data", data.toString(), "--backend", "reference", "--test-limit", "8");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("computed from the 192 training images: the model file carries none"), eval.out());
        MainTest.Run given = run("eval", bare.toString(), "--data", data.toString(), "--backend", "reference", "--test-limit", "8",
                "--mean", "0.5", "--std", "0.25");
        assertEquals(0, given.code(), given.err());
        assertTrue(given.out().contains("input     normalised as (x/255 - 0.5000)/0.2500, from --mean/--std"), given.out());
    }

    @Test
    void mismatchesAndBadFilesAreOneLineErrors() throws IOException {
        Path small = tmp.resolve("small.safetensors");
        ModelIO.save(Models.student(new ReferenceBackend(), 1, Shape.of(1, 28, 28), 10), small, Map.of());
        String tiny = TinyFashionMnist.write(tmp.resolve("fm"), 4).toString();
        Path rgb = tmp.resolve("rgb.safetensors");
        ModelIO.save(Models.student(new ReferenceBackend(), 1, Shape.of(3, 32, 32), 3), rgb, Map.of());
        MainTest.Run shape = run("eval", rgb.toString(), "--data", tiny, "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, shape.code(), shape.err());
        assertTrue(shape.singleError().contains("holds 28x28 images (idx has a fixed size"), shape.err());

        MainTest.Run classes = run("eval", small.toString(), "--data", data.toString(), "--channels", "1", "--image-size", "28", "--backend", "reference");
        assertEquals(0, classes.code(), "10 outputs for 3 classes is fine: " + classes.err());

        Path broken = tmp.resolve("broken");
        for (String c : CLASSES) Files.createDirectories(broken.resolve(c));
        for (String c : CLASSES) Files.copy(data.resolve(c).resolve("000.png"), broken.resolve(c).resolve("a.png"));
        Files.write(broken.resolve("red/b.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0});
        MainTest.Run bad = run("train", "--model", "student", "--data", broken.toString(), "--test-fraction", "0.5", "--backend", "reference");
        assertEquals(Main.EXIT_FAILURE, bad.code(), bad.err());
        assertTrue(bad.singleError().contains("b.png: cannot decode"), bad.err());

        MainTest.Run opt = run("train", "--model", "student", "--data", data.toString(), "--mean", "0.5", "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, opt.code(), opt.err());
        assertTrue(opt.singleError().contains("--mean needs --std too"), opt.err());

        Path lying = tmp.resolve("lying.safetensors");
        ModelIO.save(Models.student(new ReferenceBackend(), 1, Shape.of(3, 32, 32), 3), lying, Map.of("input_normalization", "{\"mean\":[0.5],\"std\":[0]}"));
        MainTest.Run meta = run("eval", lying.toString(), "--data", data.toString(), "--backend", "reference");
        assertEquals(Main.EXIT_FAILURE, meta.code(), meta.err());
        assertTrue(meta.singleError().contains("lying.safetensors: provenance entry input_normalization normalisation std 0.0 (channel 0) is outside"), meta.err());
    }

    @Test
    void builtInModelsBuildForOtherShapesAndClassCounts() {
        for (String name : Models.NAMES) {
            Graph g = Models.byName(name, new ReferenceBackend(), 0, Shape.of(3, 32, 32), 7);
            assertEquals(Shape.of(3, 32, 32), g.inputShape());
            assertArrayEquals(new int[] {7}, g.inferShapes().get(g.output()).dims(), name);
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Models.byName("lenet5", new ReferenceBackend(), 0, Shape.of(1, 8, 8), 10));
        assertTrue(e.getMessage().startsWith("built-in model lenet5 cannot take 1x8x8 images"), e.getMessage());
    }
}
