package dev.nncompress.data;

import static dev.nncompress.data.IdxTestFiles.gzip;
import static dev.nncompress.data.IdxTestFiles.idx;
import static dev.nncompress.data.IdxTestFiles.ramp;
import static dev.nncompress.data.IdxTestFiles.ubyte;
import static dev.nncompress.data.IdxTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    @TempDir
    Path dir;

    private static final int[] IMAGE_DIMS = {3, 2, 4};
    private static final byte[] PIXELS = ramp(24, 250); // crosses 255 -> 0 to test unsigned

    @Test
    void readsPlainImageFile() {
        Path f = write(dir.resolve("images"), ubyte(IMAGE_DIMS, PIXELS));
        IdxFile idx = IdxReader.read(f);
        assertArrayEquals(IMAGE_DIMS, idx.dims());
        assertEquals(3, idx.items());
        assertEquals(8, idx.itemSize());
        assertArrayEquals(PIXELS, idx.data());
        assertEquals(250, idx.unsigned(0));
        assertEquals(0, idx.unsigned(6));
    }

    @Test
    void gzipIsDetectedByMagicNotName() {
        Path gz = write(dir.resolve("images.gz"), gzip(ubyte(IMAGE_DIMS, PIXELS)));
        Path misnamed = write(dir.resolve("images.bin"), gzip(ubyte(IMAGE_DIMS, PIXELS)));
        assertArrayEquals(PIXELS, IdxReader.read(gz).data());
        assertArrayEquals(PIXELS, IdxReader.read(misnamed).data());
        assertArrayEquals(IMAGE_DIMS, IdxReader.readDims(gz));
    }

    @Test
    void readsLabelFile() {
        byte[] labels = {9, 0, 3, 7};
        Path f = write(dir.resolve("labels.gz"), gzip(ubyte(new int[] {4}, labels)));
        IdxFile idx = IdxReader.read(f);
        assertArrayEquals(new int[] {4}, idx.dims());
        assertEquals(1, idx.itemSize());
        assertArrayEquals(labels, idx.data());
    }

    @Test
    void limitReadsPrefixButKeepsHeaderCount() {
        Path f = write(dir.resolve("images.gz"), gzip(ubyte(IMAGE_DIMS, PIXELS)));
        IdxFile idx = IdxReader.read(f, 2);
        assertEquals(3, idx.dims()[0]);
        assertEquals(2, idx.items());
        assertArrayEquals(Arrays.copyOf(PIXELS, 16), idx.data());
        assertEquals(3, IdxReader.read(f, 100).items());
        assertEquals(0, IdxReader.read(f, 0).data().length);
    }

    @Test
    void truncatedPlainFileReportsDeclaredAndActualBytes() {
        Path f = write(dir.resolve("short"), ubyte(IMAGE_DIMS, Arrays.copyOf(PIXELS, 20)));
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.read(f));
        assertMessage(e, f.toString(), "truncated", "header declares [3, 2, 4] = 24 bytes of data but the file holds 20 after its 16-byte header");
        // A plain file's size is checked against its header before anything is read, prefix or not.
        assertMessage(assertThrows(DatasetException.class, () -> IdxReader.read(f, 2)), "truncated");
    }

    @Test
    void truncatedGzipStreamIsReported() {
        byte[] gz = gzip(ubyte(IMAGE_DIMS, ramp(24, 0)));
        Path f = write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length - 12));
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.read(f));
        assertMessage(e, f.toString(), "truncated");
    }

    @Test
    void truncatedHeaderIsReported() {
        byte[] full = ubyte(IMAGE_DIMS, PIXELS);
        Path f = write(dir.resolve("header"), Arrays.copyOf(full, 9));
        assertMessage(assertThrows(DatasetException.class, () -> IdxReader.read(f)),
                f.toString(), "truncated");
        Path tiny = write(dir.resolve("tiny"), new byte[] {0, 0});
        assertMessage(assertThrows(DatasetException.class, () -> IdxReader.read(tiny)),
                tiny.toString(), "truncated");
    }

    @Test
    void trailingBytesAreReported() {
        byte[] data = Arrays.copyOf(PIXELS, 25);
        Path f = write(dir.resolve("long"), ubyte(IMAGE_DIMS, data));
        assertMessage(assertThrows(DatasetException.class, () -> IdxReader.read(f)),
                f.toString(), "holds 25 after its 16-byte header (1 bytes too many)");
        Path gz = write(dir.resolve("long.gz"), gzip(ubyte(IMAGE_DIMS, data)));
        assertMessage(assertThrows(DatasetException.class, () -> IdxReader.read(gz)),
                gz.toString(), "after the 24 bytes");
    }

    @Test
    void badMagicIsReported() {
        byte[] bytes = ubyte(IMAGE_DIMS, PIXELS);
        bytes[0] = 0x12;
        bytes[1] = 0x34;
        Path f = write(dir.resolve("magic"), bytes);
        assertMessage(assertThrows(DatasetException.class, () -> IdxReader.read(f)),
                f.toString(), "bad magic 12 34 08 03");
        Path empty = write(dir.resolve("empty"), new byte[0]);
        assertMessage(assertThrows(DatasetException.class, () -> IdxReader.read(empty)),
                empty.toString());
    }

    @Test
    void wrongTypeAndRankAreReported() {
        Path ints = write(dir.resolve("ints"), idx(0x0C, new int[] {1}, new byte[4]));
        assertMessage(assertThrows(DatasetException.class, () -> IdxReader.read(ints)),
                ints.toString(), "type 0x0c", "unsigned byte");
        Path twoD = write(dir.resolve("twoD"), ubyte(new int[] {2, 2}, new byte[4]));
        assertMessage(assertThrows(DatasetException.class, () -> IdxReader.read(twoD)),
                twoD.toString(), "2 dims");
    }

    @Test
    void missingFileNamesPathAndInstallHint() {
        Path f = dir.resolve("nope").resolve("train-images-idx3-ubyte.gz");
        DatasetException e = assertThrows(DatasetException.class, () -> IdxReader.read(f));
        assertMessage(e, f.toString(), "not found",
                "sudo apt-get install dataset-fashion-mnist", "--data DIR");
        assertThrows(DatasetException.class, () -> IdxReader.readDims(f));
    }

    static void assertMessage(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part),
                    () -> "message '" + e.getMessage() + "' lacks '" + part + "'");
        }
    }
}
