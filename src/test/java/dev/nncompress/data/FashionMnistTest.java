package dev.nncompress.data;

import static dev.nncompress.data.IdxReaderTest.assertMessage;
import static dev.nncompress.data.IdxTestFiles.gzip;
import static dev.nncompress.data.IdxTestFiles.ramp;
import static dev.nncompress.data.IdxTestFiles.ubyte;
import static dev.nncompress.data.IdxTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {

    @TempDir
    Path dir;

    /** 5 images of 2x3 in gzip files; test split as plain files to cover both names. */
    private void writeSynthetic(int labelCount) {
        write(dir.resolve("train-images-idx3-ubyte.gz"),
                gzip(ubyte(new int[] {5, 2, 3}, ramp(30, 0))));
        write(dir.resolve("train-labels-idx1-ubyte.gz"),
                gzip(ubyte(new int[] {labelCount}, ramp(labelCount, 3))));
        write(dir.resolve("t10k-images-idx3-ubyte"), ubyte(new int[] {2, 2, 3}, ramp(12, 250)));
        write(dir.resolve("t10k-labels-idx1-ubyte"), ubyte(new int[] {2}, new byte[] {9, 0}));
    }

    @Test
    void loadsGzipAndPlainPairsAndNormalises() {
        writeSynthetic(5);
        Dataset train = FashionMnist.train(dir);
        assertEquals(5, train.count());
        assertEquals(1, train.channels());
        assertEquals(2, train.height());
        assertEquals(3, train.width());
        assertEquals(10, train.numClasses());
        assertArrayEquals(new int[] {3, 4, 5, 6, 7}, train.labels());
        float[] px = train.images();
        assertEquals(((7 / 255f) - FashionMnist.MEAN) / FashionMnist.STD, px[7]);
        assertEquals(FashionMnist.normalise(29), px[29]);

        Dataset test = FashionMnist.test(dir);
        assertEquals(2, test.count());
        assertArrayEquals(new int[] {9, 0}, test.labels());
        assertEquals(FashionMnist.normalise(255), test.images()[5]);
        assertEquals(FashionMnist.normalise(0), test.images()[6]); // 256 wraps to 0
    }

    @Test
    void limitLoadsPrefix() {
        writeSynthetic(5);
        Dataset two = FashionMnist.train(dir, 2);
        assertEquals(2, two.count());
        assertArrayEquals(new int[] {3, 4}, two.labels());
        assertEquals(FashionMnist.normalise(11), two.images()[11]);
        assertEquals(10, two.numClasses());
    }

    @Test
    void countMismatchIsReported() {
        writeSynthetic(4);
        DatasetException e = assertThrows(DatasetException.class, () -> FashionMnist.train(dir));
        assertMessage(e, "count mismatch", "train-images-idx3-ubyte.gz", "5 images",
                "train-labels-idx1-ubyte.gz", "4 labels");
    }

    @Test
    void missingDirectoryGivesInstallHint() {
        Path nowhere = dir.resolve("absent");
        DatasetException e = assertThrows(DatasetException.class,
                () -> FashionMnist.test(nowhere));
        assertMessage(e, nowhere.resolve("t10k-").toString(), "dataset-fashion-mnist");
    }

    /** Found by the fuzzer (IdxFuzzTest): a zero image side used to escape as Dataset's IllegalArgumentException (exit 2, no file name). */
    @Test
    void imagesWithoutPixelsAreRejectedNamingTheFile() {
        write(dir.resolve("i"), ubyte(new int[] {2, 0, 100663324}, new byte[0]));
        write(dir.resolve("l"), ubyte(new int[] {2}, new byte[] {1, 2}));
        DatasetException e = assertThrows(DatasetException.class,
                () -> FashionMnist.load(dir.resolve("i"), dir.resolve("l"), 2));
        assertMessage(e, dir.resolve("i").toString(), "0x100663324 pixels");
    }

    @Test
    void labelsAboveNineWidenNumClasses() {
        write(dir.resolve("i"), ubyte(new int[] {2, 1, 1}, new byte[] {0, 1}));
        write(dir.resolve("l"), ubyte(new int[] {2}, new byte[] {25, 3}));
        assertEquals(26, FashionMnist.load(dir.resolve("i"), dir.resolve("l"), 1).numClasses());
    }

    @Test
    void realTrainingDataLooksRight() {
        Path images = FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES);
        Assumptions.assumeTrue(Files.exists(images),
                "Fashion-MNIST not installed at " + FashionMnist.DEFAULT_DIR);

        assertArrayEquals(new int[] {60000, 28, 28}, IdxReader.readDims(images));
        assertArrayEquals(new int[] {60000}, IdxReader.readDims(
                FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_LABELS)));
        assertArrayEquals(new int[] {10000, 28, 28}, IdxReader.readDims(
                FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TEST_IMAGES)));
        assertArrayEquals(new int[] {10000}, IdxReader.readDims(
                FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TEST_LABELS)));

        Dataset first = FashionMnist.train(FashionMnist.DEFAULT_DIR, 1000);
        assertEquals(1000, first.count());
        assertEquals(28, first.height());
        assertEquals(28, first.width());
        assertEquals(10, first.numClasses());
        // The published first training labels: ankle boot, T-shirt, T-shirt, dress, ...
        assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5},
                java.util.Arrays.copyOf(first.labels(), 10));
        boolean[] seen = new boolean[10];
        for (int i = 0; i < 100; i++) {
            int label = first.label(i);
            assertTrue(label >= 0 && label <= 9, "label " + label);
            seen[label] = true;
        }
        for (int c = 0; c < 10; c++) {
            assertTrue(seen[c], "class " + c + " missing from the first 100 labels");
        }

        float[] px = first.images();
        double sum = 0;
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : px) {
            sum += v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double mean = sum / px.length;
        assertTrue(Math.abs(mean) < 0.1, "mean of normalised pixels " + mean);
        assertEquals(FashionMnist.normalise(0), min); // backgrounds are black
        assertEquals(FashionMnist.normalise(255), max);
    }

    @Test
    void realTestSplitLoads() {
        Path images = FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TEST_IMAGES);
        Assumptions.assumeTrue(Files.exists(images),
                "Fashion-MNIST not installed at " + FashionMnist.DEFAULT_DIR);
        Dataset test = FashionMnist.test(FashionMnist.DEFAULT_DIR, 100);
        assertEquals(100, test.count());
        assertEquals(28 * 28, test.exampleSize());
        assertEquals(9, test.label(0)); // first test image is an ankle boot
    }
}
