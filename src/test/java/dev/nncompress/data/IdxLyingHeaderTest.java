package dev.nncompress.data;

import static dev.nncompress.data.IdxReaderTest.assertMessage;
import static dev.nncompress.data.IdxTestFiles.gzip;
import static dev.nncompress.data.IdxTestFiles.ubyte;
import static dev.nncompress.data.IdxTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nncompress.util.ThreadAllocation;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An IDX header's claim allocates nothing by itself: it must agree with the bytes that are there. */
class IdxLyingHeaderTest {

    @TempDir
    Path dir;

    /** 32767 x 256 x 256 = 2 GiB - 64 KiB, just under the Java array limit. */
    private static final int[] HUGE = {32767, 256, 256};

    private static DatasetException rejectedCheaply(Path f) {
        DatasetException[] e = new DatasetException[1];
        long allocated = ThreadAllocation.during(() -> e[0] = assertThrows(DatasetException.class, () -> IdxReader.read(f)));
        assertTrue(allocated < (8 << 20), "refused after allocating " + allocated + " bytes");
        return e[0];
    }

    @Test
    void twentyBytePlainFileClaimingTwoGibibytesIsRefusedBeforeAllocation() {
        Path f = write(dir.resolve("lying"), ubyte(HUGE, new byte[4]));
        assertMessage(rejectedCheaply(f), f.toString(), "header declares [32767, 256, 256] = 2147418112 bytes of data",
                "but the file holds 4 after its 16-byte header");
    }

    @Test
    void gzipClaimingMoreThanDeflateCanHoldIsRefusedBeforeAllocation() {
        byte[] gz = gzip(ubyte(HUGE, new byte[4]));
        Path f = write(dir.resolve("lying.gz"), gz);
        assertMessage(rejectedCheaply(f), f.toString(), "header declares [32767, 256, 256] = 2147418112 bytes of data but "
                + gz.length + " bytes of gzip inflate to at most " + 1032L * gz.length);
    }

    @Test
    void gzipWithinDeflatesRatioButShortGrowsOnlyWithWhatArrives() {
        // 2 MB of incompressible data under a header claiming 100 MB: plausible by size, false in content
        byte[] data = new byte[2 << 20];
        new SplittableRandom(1).nextBytes(data);
        Path f = write(dir.resolve("short.gz"), gzip(ubyte(new int[] {100, 1000, 1000}, data)));
        DatasetException[] e = new DatasetException[1];
        long allocated = ThreadAllocation.during(() -> e[0] = assertThrows(DatasetException.class, () -> IdxReader.read(f)));
        assertMessage(e[0], f.toString(), "truncated: header declares [100, 1000, 1000] = 100000000 bytes of data, the stream ends after 2097152");
        assertTrue(allocated < (32 << 20), "allocated " + allocated + " bytes for 2 MiB that arrived (100 MB claimed)");
    }

    @Test
    void honestGzipLargerThanTheFirstChunkStillReadsWhole() {
        byte[] data = new byte[3 << 20]; // grows 1 -> 2 -> 3 MiB
        new SplittableRandom(2).nextBytes(data);
        Path f = write(dir.resolve("ok.gz"), gzip(ubyte(new int[] {3, 1024, 1024}, data)));
        assertArrayEquals(data, IdxReader.read(f).data());
    }
}
