package dev.nncompress.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which format a --data path holds, and what is said when it holds none. */
class DataSourceTest {
    @TempDir Path tmp;

    @Test
    void eachFormatIsToldApartByWhatThePathHolds() throws IOException {
        Path idx = Files.createDirectories(tmp.resolve("idx"));
        Files.write(idx.resolve("t10k-images-idx3-ubyte"), IdxTestFiles.ubyte(new int[] {1, 2, 2}, new byte[4]));
        assertEquals(DataSource.Format.IDX, DataSource.detect(idx));
        Path cifar = Files.createDirectories(tmp.resolve("c"));
        Files.write(cifar.resolve("test_batch.bin"), new byte[3073]);
        assertEquals(DataSource.Format.CIFAR10, DataSource.detect(cifar));
        Path npy = Files.createDirectories(tmp.resolve("n"));
        Files.write(npy.resolve("x.npy"), new byte[1]);
        assertEquals(DataSource.Format.NPY, DataSource.detect(npy));
        Path npz = Files.write(tmp.resolve("a.npz"), new byte[1]);
        assertEquals(DataSource.Format.NPZ, DataSource.detect(npz));
        Path folder = Files.createDirectories(tmp.resolve("f/cats"));
        assertEquals(DataSource.Format.IMAGE_FOLDER, DataSource.detect(folder.getParent()));
    }

    private static String refused(Path p) {
        DatasetException e = assertThrows(DatasetException.class, () -> DataSource.detect(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aPathHoldingNoDatasetSaysWhatWasLookedFor() throws IOException {
        String missing = refused(tmp.resolve("nothing-here"));
        assertTrue(missing.contains("not found") && missing.contains("apt-get install dataset-fashion-mnist") && missing.contains("docs/data.md"), missing);
        assertTrue(refused(Files.createDirectories(tmp.resolve("empty"))).contains("holds no dataset: no IDX files"));
        assertTrue(refused(Files.write(tmp.resolve("x.npy"), new byte[1])).contains("give the directory holding x.npy and y.npy"));
        assertTrue(refused(Files.write(tmp.resolve("notes.txt"), new byte[1])).contains("not a dataset"));
        assertTrue(refused(tmp.resolve("gone.npz")).endsWith("gone.npz not found"));
    }

    @Test
    void requestOptionsAreCheckedNamingTheOption() {
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> DataRequest.of(tmp).withImageSize(2000, 2000));
        assertTrue(size.getMessage().startsWith("--image-size"), size.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataRequest.of(tmp).withChannels(2));
        assertThrows(IllegalArgumentException.class, () -> DataRequest.of(tmp).withSplit(1.0, 0));
        assertThrows(IllegalArgumentException.class, () -> DataRequest.of(tmp).withClasses(java.util.List.of("a", "a")));
    }
}
