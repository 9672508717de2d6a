package dev.nncompress.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CIFAR-10/100 binary batches written here in the documented record layout. */
class CifarBinaryTest {
    @TempDir Path tmp;

    /** {@code n} records: label byte(s) then 3072 pixels, pixel k of record i = (i + k) mod 256. */
    private static byte[] records(int n, int[][] labels) {
        int lb = labels[0].length;
        byte[] b = new byte[n * (lb + 3072)];
        for (int i = 0; i < n; i++) {
            int off = i * (lb + 3072);
            for (int j = 0; j < lb; j++) b[off + j] = (byte) labels[i][j];
            for (int k = 0; k < 3072; k++) b[off + lb + k] = (byte) (i + k);
        }
        return b;
    }

    private static int[][] tenLabels(int n, int start) {
        int[][] l = new int[n][1];
        for (int i = 0; i < n; i++) l[i][0] = (start + i) % 10;
        return l;
    }

    @Test
    void cifar10BatchesInNumberOrderWithTheMetaNames() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("cifar-10-batches-bin"));
        Files.write(dir.resolve("data_batch_2.bin"), records(2, tenLabels(2, 5)));
        Files.write(dir.resolve("data_batch_1.bin"), records(3, tenLabels(3, 0)));
        Files.write(dir.resolve("test_batch.bin"), records(2, tenLabels(2, 9)));
        Files.writeString(dir.resolve("batches.meta.txt"), "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
        DataSplits s = DataSource.load(DataRequest.of(tmp)); // the parent of the unpacked folder works too
        assertEquals("cifar-10", s.format());
        assertArrayEquals(new int[] {0, 1, 2, 5, 6}, s.train().labels());
        assertArrayEquals(new int[] {9, 0}, s.test().labels());
        assertEquals("3x32x32", s.shape());
        assertEquals("truck", s.classNames().get(9));
        float[] px = s.train().normalise(Normalization.IDENTITY, 10).images();
        assertEquals((1025 % 256) / 255f, px[3 * 3072 + 1025], "record 0 of batch 2, green plane's pixel 1");
        assertEquals(((2 + 5) % 256) / 255f, px[2 * 3072 + 5], "record 2 of batch 1, red plane's pixel 5");
        assertEquals(4, DataSource.load(DataRequest.of(dir).withLimits(4, 1)).train().count());
        assertThrows(IllegalArgumentException.class, () -> DataSource.load(DataRequest.of(dir).withImageSize(28, 28)), "fixed 32x32");
    }

    @Test
    void cifar100FineOrCoarseLabels() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("c100"));
        Files.write(dir.resolve("train.bin"), records(2, new int[][] {{3, 77}, {19, 99}}));
        Files.write(dir.resolve("test.bin"), records(1, new int[][] {{0, 0}}));
        DataSplits fine = DataSource.load(DataRequest.of(dir));
        assertEquals("cifar-100", fine.format());
        assertEquals(100, fine.numClasses());
        assertArrayEquals(new int[] {77, 99}, fine.train().labels());
        DataSplits coarse = DataSource.load(DataRequest.of(dir).withCoarseLabels(true));
        assertEquals(20, coarse.numClasses());
        assertArrayEquals(new int[] {3, 19}, coarse.train().labels());
    }

    private static void refused(Path dir, String... parts) {
        DatasetException e = assertThrows(DatasetException.class, () -> DataSource.load(DataRequest.of(dir)));
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }

    @Test
    void badFilesAreRefusedNamingThem() throws IOException {
        Path partial = Files.createDirectories(tmp.resolve("partial"));
        Files.write(partial.resolve("data_batch_1.bin"), new byte[3073 * 2 + 5]);
        Files.write(partial.resolve("test_batch.bin"), records(1, tenLabels(1, 0)));
        refused(partial, "data_batch_1.bin: 6151 bytes is not a whole number of 3073-byte CIFAR records");

        Path label = Files.createDirectories(tmp.resolve("label"));
        Files.write(label.resolve("data_batch_1.bin"), records(2, new int[][] {{1}, {10}}));
        Files.write(label.resolve("test_batch.bin"), records(1, tenLabels(1, 0)));
        refused(label, "data_batch_1.bin: record 1 has label 10; labels are below 10");

        Path names = Files.createDirectories(tmp.resolve("names"));
        Files.write(names.resolve("data_batch_1.bin"), records(1, tenLabels(1, 0)));
        Files.write(names.resolve("test_batch.bin"), records(1, tenLabels(1, 0)));
        Files.writeString(names.resolve("batches.meta.txt"), "cat\ndog\n");
        refused(names, "batches.meta.txt: 2 class names for 10 classes");

        Path noTrain = Files.createDirectories(tmp.resolve("notrain"));
        Files.write(noTrain.resolve("test_batch.bin"), records(1, tenLabels(1, 0)));
        refused(noTrain, "no data_batch_1.bin");
        assertEquals(1, DataSource.load(DataRequest.of(noTrain).withLimits(0, DataRequest.ALL)).test().count(), "eval needs no training batches");
    }
}
