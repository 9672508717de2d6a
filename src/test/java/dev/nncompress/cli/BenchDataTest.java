package dev.nncompress.cli;

import dev.nncompress.data.NumpyTestFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bench --data} takes every format the other commands take, through the same {@link DataBinding}: a built-in
 * model is built for the data's shape and classes, a model file's input size must match (tiny rounds: the rows' shape,
 * not their numbers).
 */
class BenchDataTest {
    @TempDir static Path tmp;

    /** A CIFAR-10 folder (3x32x32), a folder of x.npy/y.npy (1x20x20) and an image folder of RGB 24x24 PNGs (3 classes). */
    @BeforeAll
    static void writeData() throws IOException {
        Path cifar = Files.createDirectories(tmp.resolve("cifar"));
        byte[] rec = new byte[12 * 3073];
        for (int i = 0; i < 12; i++) {
            rec[i * 3073] = (byte) (i % 10);
            for (int k = 1; k < 3073; k++) rec[i * 3073 + k] = (byte) (i * 31 + k);
        }
        Files.write(cifar.resolve("data_batch_1.bin"), rec);
        Files.write(cifar.resolve("test_batch.bin"), rec);

        Path npy = Files.createDirectories(tmp.resolve("npy"));
        byte[] x = new byte[12 * 20 * 20];
        for (int i = 0; i < x.length; i++) x[i] = (byte) (i * 13);
        Files.write(npy.resolve("x.npy"), NumpyTestFiles.npy(NumpyTestFiles.dict("|u1", "(12, 20, 20)"), x));
        byte[] y = new byte[12];
        for (int i = 0; i < y.length; i++) y[i] = (byte) (i % 4);
        Files.write(npy.resolve("y.npy"), NumpyTestFiles.npy(NumpyTestFiles.dict("|u1", "(12,)"), y));

        Path folder = tmp.resolve("folder");
        for (String c : List.of("a", "b", "c")) {
            Path d = Files.createDirectories(folder.resolve(c));
            for (int i = 0; i < 5; i++) {
                BufferedImage img = new BufferedImage(24, 24, BufferedImage.TYPE_INT_RGB);
                for (int p = 0; p < 24 * 24; p++) img.setRGB(p % 24, p / 24, (p * 7919 + i * 104729 + c.charAt(0)) & 0xffffff);
                ImageIO.write(img, "png", d.resolve(i + ".png").toFile());
            }
        }
    }

    private static MainTest.Run bench(String models, String... more) {
        List<String> args = new ArrayList<>(List.of("bench", models, "--baseline", "none", "--rounds", "1", "--round-seconds", "0.02",
                "--train-batch", "4", "--infer-batch", "4", "--sparse", "off", "--backend", "reference"));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    @Test
    void everyDataFormatFeedsABuiltInBuiltForIt() {
        String[][] cases = {
                {"cifar", "data      cifar-10 " + tmp.resolve("cifar") + ": 3x32x32, 4 train images (data_batch_*.bin and test_batch.bin)"},
                {"npy", "data      npy " + tmp.resolve("npy") + ": 1x20x20, "},
                {"folder", "data      image-folder " + tmp.resolve("folder") + ": 3x24x24, 3 classes (a, b, c), 4 train images"},
        };
        for (String[] c : cases) {
            String[] extra = c[0].equals("folder") ? new String[] {"--data", tmp.resolve(c[0]).toString(), "--image-size", "24"}
                    : new String[] {"--data", tmp.resolve(c[0]).toString()};
            MainTest.Run b = bench("resnet8", extra);
            assertEquals(0, b.code(), c[0] + ": " + b.err());
            assertTrue(b.out().contains(c[1]), c[0] + ":\n" + b.out());
            assertTrue(b.out().matches("(?s).*\nresnet8 +train batch 4 +[0-9,]+ .*\nresnet8 +inference batch 4 +[0-9,]+.*"), b.out());
        }
    }

    @Test
    void modelFileMustTakeTheDataShape() throws IOException {
        String model = tmp.resolve("s28.safetensors").toString();
        MainTest.Run t = run("train", "--model", "student", "--data", TinyFashionMnist.write(tmp.resolve("idx"), 20).toString(), "--epochs", "1",
                "--batch-size", "10", "--backend", "reference", "--quiet", "--out", model);
        assertEquals(0, t.code(), t.err());
        MainTest.Run ok = bench(model, "--data", tmp.resolve("idx").toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("s28.safetensors"), ok.out());
        MainTest.Run b = bench(model, "--data", tmp.resolve("cifar").toString());
        assertEquals(Main.EXIT_USAGE, b.code(), b.out()); // as eval: the data do not fit the model
        assertTrue(b.singleError().contains("--data " + tmp.resolve("cifar") + " holds 32x32 images (cifar-10 has a fixed size; only image folders are resized), "
                + "not the 28x28 asked for"), b.err());
    }
}
