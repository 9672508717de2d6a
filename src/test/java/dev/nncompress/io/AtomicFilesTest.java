package dev.nncompress.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicFilesTest {
    @TempDir Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A file named like a temporary file of {@code target}, last modified {@code ageMillis} ago. */
    private Path temp(String target, String hex, long ageMillis) throws IOException {
        Path p = Files.writeString(dir.resolve("." + target + "." + hex + ".tmp"), "partial");
        Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() - ageMillis));
        return p;
    }

    @Test
    void writesThroughATemporaryFileWithOurNameAndLeavesNoneBehind() throws IOException {
        Path f = dir.resolve("report.json");
        String[] seen = new String[1];
        AtomicFiles.write(f, ch -> {
            seen[0] = String.join(",", names());
            ch.write(ByteBuffer.wrap("{}".getBytes(StandardCharsets.UTF_8)));
        });
        assertTrue(seen[0].matches("\\.report\\.json\\.[0-9a-f]{16}\\.tmp"), seen[0]);
        assertTrue(AtomicFiles.isTempName(seen[0]));
        assertEquals("{}", Files.readString(f));
        assertEquals(List.of("report.json"), names());
        AtomicFiles.write(f, new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
    }

    @Test
    void aFailedWriteLeavesTheTargetUntouchedAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("model.safetensors");
        Files.writeString(f, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, ch -> {
            ch.write(ByteBuffer.wrap(new byte[1000]));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("model.safetensors"), names());
    }

    @Test
    void abandonedTemporaryFilesInTheDirectoryAreRemovedOnTheNextWrite() throws IOException {
        long hour = 3_600_000;
        temp("model.safetensors", "00112233445566ff", hour); // a killed run's, same target
        temp("epoch-3.safetensors", "0123456789abcdef", hour); // a killed run's, another target in the directory
        Path fresh = temp("model.safetensors", "aaaaaaaaaaaaaaaa", 0); // may be a writer that has not locked yet
        Path notOurs = Files.writeString(dir.resolve(".notes.123.tmp"), "x"); // wrong pattern
        Files.setLastModifiedTime(notOurs, FileTime.fromMillis(0));
        Path dirLike = Files.createDirectory(dir.resolve(".x.ffffffffffffffff.tmp")); // not a regular file
        Files.setLastModifiedTime(dirLike, FileTime.fromMillis(0));

        AtomicFiles.write(dir.resolve("model.safetensors"), new byte[] {7});
        assertEquals(Stream.of(".notes.123.tmp", fresh.getFileName().toString(), ".x.ffffffffffffffff.tmp", "model.safetensors").sorted().toList(),
                names());
    }

    @Test
    void aTemporaryFileLockedByALiveWriterIsKeptHowEverOld() throws IOException {
        Path held = temp("model.safetensors", "1234567812345678", 3_600_000);
        try (FileChannel ch = FileChannel.open(held, StandardOpenOption.WRITE); var lock = ch.lock()) {
            assertEquals(0, AtomicFiles.removeStaleTemps(dir, System.currentTimeMillis()));
            assertTrue(Files.exists(held));
        }
        assertEquals(1, AtomicFiles.removeStaleTemps(dir, System.currentTimeMillis()), "unlocked, it is abandoned");
        assertFalse(Files.exists(held));
    }

    @Test
    void theDirectoryIsForcedAndARefusalIsNotAnError() throws IOException {
        assertTrue(AtomicFiles.syncDirectory(dir), "Linux opens and fsyncs a directory");
        assertFalse(AtomicFiles.syncDirectory(dir.resolve("missing")));
        assertEquals(0, AtomicFiles.removeStaleTemps(dir.resolve("missing"), System.currentTimeMillis()), "an unreadable directory is skipped");
    }
}
