package dev.nncompress.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Whole-file writes that readers see either not at all or complete, and that survive a crash: bytes go to a
 * temporary file {@code .<target>.<16 hex digits>.tmp} in the target's directory, forced to disk, renamed over the
 * target, and then the directory itself is forced so that the rename is durable too. On failure the temporary file
 * is removed and an existing target is untouched. Model files ({@link SafeTensors#write}) and reports share this.
 *
 * <p>A run killed mid-write leaves its temporary file behind; the next write into the same directory removes every
 * such file that is provably abandoned: its name has exactly our pattern, it is a regular file, it was last modified
 * more than {@link #STALE_AFTER_MILLIS} ago, no thread of this JVM is writing it, and no other process holds the
 * lock a writer keeps on its temporary file until the rename (a killed process's locks die with it). The lock is
 * what tells a live writer from a dead one; the age covers the instant between creating a file and locking it, and
 * filesystems where locks are not supported (there a file we cannot lock is left alone).
 */
public final class AtomicFiles {
    /** How old an unlocked temporary file must be before it counts as abandoned. */
    static final long STALE_AFTER_MILLIS = 30_000;

    private static final Pattern TEMP_NAME = Pattern.compile("\\..+\\.[0-9a-f]{16}\\.tmp");

    /** Temporary files this JVM is writing now: never opened by the cleanup (closing them would drop our lock). */
    private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();

    private AtomicFiles() {}

    /** What to write into the temporary file's channel (positioned at 0). */
    @FunctionalInterface
    public interface Body {
        void writeTo(FileChannel ch) throws IOException;
    }

    /** Writes {@code bytes} to {@code file} atomically. */
    public static void write(Path file, byte[] bytes) throws IOException {
        write(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    /** Writes what {@code body} writes to {@code file} atomically. */
    public static void write(Path file, Body body) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        removeStaleTemps(dir, System.currentTimeMillis());
        Path tmp = createTemp(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                lockQuietly(ch); // held until close, after the rename: marks the file as live to other processes
                body.writeTo(ch);
                ch.force(true); // the rename must not become durable before the data
                moveOver(tmp, target);
            }
        } catch (Throwable t) {
            deleteQuietly(tmp, t);
            throw t;
        } finally {
            IN_FLIGHT.remove(tmp);
        }
        syncDirectory(dir);
    }

    /** The name a temporary file for {@code target} gets: {@code .<name>.<16 hex>.tmp}. */
    static boolean isTempName(String fileName) { return TEMP_NAME.matcher(fileName).matches(); }

    /** An empty new file beside {@code target} (absolute), registered as in flight. */
    private static Path createTemp(Path target) throws IOException {
        // Not Files.createTempFile: that forces mode 0600, which the rename would carry over to
        // the target. CREATE_NEW with default attributes honours the umask instead.
        Path dir = target.getParent();
        for (int attempt = 0; ; attempt++) {
            String hex = String.format("%016x", ThreadLocalRandom.current().nextLong());
            Path tmp = dir.resolve("." + target.getFileName() + "." + hex + ".tmp");
            IN_FLIGHT.add(tmp);
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (IOException | RuntimeException e) {
                IN_FLIGHT.remove(tmp);
                if (!(e instanceof FileAlreadyExistsException) || attempt >= 100) throw e;
            }
        }
    }

    private static void lockQuietly(FileChannel ch) {
        try {
            ch.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            // a filesystem without locks: the age rule alone protects this file from other writers' cleanup
        }
    }

    /** Renames the finished {@code tmp} over {@code target}. */
    private static void moveOver(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING); // same directory: still a rename(2) on POSIX
        }
    }

    /**
     * fsync of {@code dir}, which makes a rename in it durable (POSIX: fsync of the file covers its data, not the
     * directory entry). Returns false where the platform or filesystem refuses (Windows cannot open a directory;
     * some filesystems reject fsync on one): the rename has happened either way, only its durability across a
     * power cut is then the filesystem's own.
     */
    static boolean syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Removes the abandoned temporary files in {@code dir} (see the class comment for the rule); returns how many.
     * Best effort: an error here never fails the write that called it.
     */
    static int removeStaleTemps(Path dir, long nowMillis) {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, p -> isTempName(p.getFileName().toString()))) {
            for (Path p : files) {
                if (removeIfAbandoned(p, nowMillis)) removed++;
            }
        } catch (IOException | DirectoryIteratorException e) {
            // unreadable directory: leave it; the write itself will report a real problem
        }
        return removed;
    }

    private static boolean removeIfAbandoned(Path p, long nowMillis) {
        if (IN_FLIGHT.contains(p.toAbsolutePath())) return false;
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile() || nowMillis - a.lastModifiedTime().toMillis() < STALE_AFTER_MILLIS) return false;
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                FileLock lock = ch.tryLock();
                if (lock == null) return false; // another process is writing it
                return Files.deleteIfExists(p);
            }
        } catch (IOException | OverlappingFileLockException e) {
            return false; // cannot prove it abandoned: keep it
        }
    }

    /** Removes {@code tmp} after {@code failure}, recording a cleanup error on it. */
    private static void deleteQuietly(Path tmp, Throwable failure) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }
}
