package dev.nncompress.data;

import dev.nncompress.util.ThreadAllocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.nncompress.data.NumpyTestFiles.dict;
import static dev.nncompress.data.NumpyTestFiles.floats;
import static dev.nncompress.data.NumpyTestFiles.int64s;
import static dev.nncompress.data.NumpyTestFiles.npy;
import static dev.nncompress.data.NumpyTestFiles.withDeclaredSize;
import static dev.nncompress.data.NumpyTestFiles.zip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** .npz files and .npy folders: numpy's own files read right, hostile ones refused in one line naming the file. */
class NumpyArraysTest {
    @TempDir Path tmp;

    private static Path fixture(String name) {
        try {
            return Path.of(NumpyArraysTest.class.getResource("/data/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static float[] pixels(RawImages r) {
        return r.normalise(Normalization.IDENTITY, Math.max(2, r.maxLabel() + 1)).images();
    }

    @Test
    void kerasLayoutNhwcUint8IsReadChannelsFirst() {
        DataSplits s = DataSource.load(DataRequest.of(fixture("keras_nhwc.npz")));
        assertEquals("npz", s.format());
        assertEquals(6, s.train().count());
        assertEquals(2, s.test().count());
        assertEquals("3x4x5", s.shape());
        assertEquals(3, s.numClasses());
        assertArrayEquals(new int[] {0, 1, 2, 0, 1, 2}, s.train().labels());
        assertArrayEquals(new int[] {2, 0}, s.test().labels());
        float[] px = pixels(s.train());
        for (int n : new int[] {0, 1, 5}) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 4; y++) {
                    for (int x = 0; x < 5; x++) {
                        int numpy = ((n * 60) + (y * 15) + x * 3 + c) % 251; // x_train[n, y, x, c] as the script made it
                        assertEquals(numpy / 255f, px[((n * 3 + c) * 4 + y) * 5 + x], n + "," + c + "," + y + "," + x);
                    }
                }
            }
        }
        DataSplits limited = DataSource.load(DataRequest.of(fixture("keras_nhwc.npz")).withLimits(2, 0));
        assertEquals(2, limited.train().count());
        assertEquals(null, limited.test());
        assertEquals(3, limited.numClasses(), "the class count comes from all labels, not the two read");
    }

    @Test
    void torchLayoutFloat32IsSplitBySeedWithoutOverlap() {
        DataSplits s = DataSource.load(DataRequest.of(fixture("torch_nchw.npz")));
        assertEquals(8, s.train().count());
        assertEquals(2, s.test().count());
        assertEquals("1x3x2", s.shape());
        assertTrue(s.train().isFloat());
        assertEquals(4, s.numClasses());
        // every example in exactly one split: x[i] = (6i + k) / 8 - 3, so its first value names it
        float[] tr = pixels(s.train());
        float[] te = pixels(s.test());
        boolean[] seen = new boolean[10];
        for (float[] split : List.of(tr, te)) {
            for (int i = 0; i < split.length / 6; i++) {
                int example = Math.round((split[i * 6] + 3) * 8) / 6;
                assertFalse(seen[example], "example " + example + " twice");
                seen[example] = true;
            }
        }
        DataSplits again = DataSource.load(DataRequest.of(fixture("torch_nchw.npz")));
        assertArrayEquals(s.test().labels(), again.test().labels());
        assertArrayEquals(te, pixels(again.test()));
        DataSplits other = DataSource.load(DataRequest.of(fixture("torch_nchw.npz")).withSplit(0.5, 7));
        assertEquals(5, other.test().count());
        assertNotEquals(Arrays.toString(te), Arrays.toString(Arrays.copyOf(pixels(other.test()), te.length)));
    }

    @Test
    void folderOfNpyWithBigEndianLabels() {
        DataSplits s = DataSource.load(DataRequest.of(fixture("npy")).withSplit(0.5, 0));
        assertEquals("npy", s.format());
        assertEquals("1x2x3", s.shape());
        int[] all = new int[4];
        int k = 0;
        for (int l : s.train().labels()) all[k++] = l;
        for (int l : s.test().labels()) all[k++] = l;
        Arrays.sort(all);
        assertArrayEquals(new int[] {0, 1, 2, 3}, all);
        assertThrows(IllegalArgumentException.class, () -> DataSource.load(DataRequest.of(fixture("keras_nhwc.npz")).withSplit(0.3, 0)),
                "a test split of its own and --test-fraction");
    }

    private Path npz(String name, Map<String, byte[]> entries, boolean deflate) {
        return write(name, zip(entries, deflate));
    }

    private Path write(String name, byte[] bytes) {
        try {
            return Files.write(tmp.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, byte[]> xy(byte[] x, byte[] y) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("x.npy", x);
        m.put("y.npy", y);
        return m;
    }

    private static final byte[] Y5 = npy(dict("<i8", "(5,)"), int64s(0, 1, 0, 1, 1));

    private static void refused(Path file, String... parts) {
        DatasetException e = assertThrows(DatasetException.class, () -> DataSource.load(DataRequest.of(file)));
        assertTrue(e.getMessage().startsWith(file.toString()) || e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void badHeadersAreRefusedNamingTheEntry() {
        byte[] x = npy(dict("|u1", "(5, 2, 2)"), new byte[20]);
        refused(npz("magic.npz", xy(Arrays.copyOf("NOTNUMPY".getBytes(), 40), Y5), false), "magic.npz[x.npy]", "bad magic");
        byte[] v9 = x.clone();
        v9[6] = 9;
        refused(npz("version.npz", xy(v9, Y5), false), "format version 9.0");
        refused(npz("keys.npz", xy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 2, 2), 'x': True}", new byte[20]), Y5), true), "expected exactly");
        refused(npz("fortran.npz", xy(npy("{'descr': '|u1', 'fortran_order': True, 'shape': (5, 2, 2), }", new byte[20]), Y5), true), "Fortran order");
        refused(npz("syntax.npz", xy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 2 2), }", new byte[20]), Y5), true), "not the dict numpy writes");
        refused(npz("neg.npz", xy(npy(dict("|u1", "(5, -2, 2)"), new byte[20]), Y5), true), "not the dict numpy writes");
        refused(npz("object.npz", xy(npy(dict("|O", "(5, 2, 2)"), new byte[20]), Y5), true), "dtype '|O' is not read");
        refused(npz("f8.npz", xy(npy(dict("<f8", "(5, 2, 2)"), new byte[160]), Y5), true), "x has dtype '<f8'", "float32");
        refused(npz("yfloat.npz", xy(x, npy(dict("<f4", "(5,)"), floats(0, 1, 0, 1, 1))), true), "y has dtype '<f4'", "integers");
        refused(npz("rank2.npz", xy(npy(dict("|u1", "(5, 4)"), new byte[20]), Y5), true), "x is |u1 (5, 4)");
        refused(npz("axis.npz", xy(npy(dict("|u1", "(5, 2, 2, 2)"), new byte[40]), Y5), true), "C = 1 or 3");
        refused(npz("count.npz", xy(npy(dict("|u1", "(4, 2, 2)"), new byte[16]), Y5), true), "4 images but", "has 5 labels");
        refused(npz("label.npz", xy(x, npy(dict("<i8", "(5,)"), int64s(0, 1, -1, 1, 1))), true), "label -1 at index 2");
        refused(npz("label16.npz", xy(x, npy(dict("<i8", "(5,)"), int64s(0, 1, 70000, 1, 1))), true), "label 70000");
        refused(npz("nan.npz", xy(npy(dict("<f4", "(5, 1, 1)"), floats(0, Float.NaN, 0, 0, 0)), Y5), true), "NaN at element 1");
        // fuzz findings (npzFile, npyPair): a value whose statistics no normalisation may have was an IllegalArgumentException
        // (exit 2, no file named); a missing y named no file
        refused(npz("big.npz", xy(npy(dict("<f4", "(5, 1, 1)"), floats(0, -2e7f, 0, 0, 0)), Y5), true), "-2.0E7 at element 1", "within +-1e6");
        refused(npz("noy.npz", Map.of("x.npy", x), true), "array y not found beside x");
        byte[] longHeader = npy(2, dict("|u1", "(5, 2, 2)") + " ".repeat(70_000), new byte[20]);
        refused(npz("long.npz", xy(longHeader, Y5), true), "header of", "more than 65535");
        refused(npz("noxy.npz", Map.of("images.npy", x), true), "no array x_train or x", "'images.npy'");
        refused(write("notzip.npz", "hello".getBytes()), "not a valid .npz (zip) file");
    }

    @Test
    void dataOfTheWrongLengthIsRefused() {
        refused(npz("short.npz", xy(npy(dict("|u1", "(5, 2, 2)"), new byte[19]), Y5), false), "truncated: the header declares |u1 (5, 2, 2) = 20 bytes");
        refused(npz("long.npz", xy(npy(dict("|u1", "(5, 2, 2)"), new byte[21]), Y5), true), "= 20 bytes of data but 21 follow it");
        Path dir = tmp.resolve("npydir");
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve("x.npy"), Arrays.copyOf(npy(dict("|u1", "(5, 2, 2)"), new byte[20]), 30)); // cut inside the header
            Files.write(dir.resolve("y.npy"), Y5);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        refused(dir, "x.npy", "truncated inside");
    }

    @Test
    void lyingShapesAllocateNothing() {
        // 100-byte arrays whose headers claim 21 GB and 2^64 bytes: refused from the sizes alone
        Path f = npz("huge.npz", xy(npy(dict("|u1", "(5, 65536, 65536)"), new byte[20]), Y5), false);
        long allocated = ThreadAllocation.during(() -> refused(f, "header declares |u1 (5, 65536, 65536) = 21474836480 bytes of data but 20 follow"));
        assertTrue(allocated < (8 << 20), "refused after allocating " + allocated + " bytes");
        Path g = npz("huger.npz", xy(npy(dict("|u1", "(5, 2147483647, 2147483647)"), new byte[20]), Y5), false);
        allocated = ThreadAllocation.during(() -> refused(g, "more than 2^62 bytes"));
        assertTrue(allocated < (8 << 20), "refused after allocating " + allocated + " bytes");
    }

    @Test
    void zipEntriesWhoseDeclaredSizeCannotBeTrueAreRefused() {
        byte[] x = npy(dict("|u1", "(5, 2, 2)"), new byte[20]);
        byte[] ok = zip(xy(x, Y5), true);
        refused(write("bomb.npz", withDeclaredSize(ok, 0, Integer.MAX_VALUE)), "entry 'x.npy' declares 2147483647 bytes", "deflate");
        // a declared size that matches a larger claimed shape, while the entry inflates to less: the read runs dry
        byte[] claims = npy(dict("|u1", "(5, 20, 20)"), new byte[20]);
        byte[] z = withDeclaredSize(zip(xy(claims, Y5), true), 0, claims.length - 20 + 2000);
        refused(write("dry.npz", z), "truncated");
    }
}
