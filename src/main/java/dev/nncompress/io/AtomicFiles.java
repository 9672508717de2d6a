package dev.nncompress.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Whole-file writes that readers see either not at all or complete: bytes go to a temporary file in the target's
 * directory, forced to disk, then renamed over the target; on failure the temporary file is removed and an existing
 * target is untouched. Model files ({@link SafeTensors#write}) and reports share this.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes {@code bytes} to {@code file} atomically. */
    public static void write(Path file, byte[] bytes) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = createTemp(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true); // the rename must not become durable before the data
            }
            moveOver(tmp, target);
        } catch (Throwable t) {
            deleteQuietly(tmp, t);
            throw t;
        }
    }

    /** An empty new file beside {@code target} (absolute). */
    static Path createTemp(Path target) throws IOException {
        // Not Files.createTempFile: that forces mode 0600, which the rename would carry over to
        // the target. CREATE_NEW with default attributes honours the umask instead.
        Path dir = target.getParent();
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    /** Renames the finished {@code tmp} over {@code target}. */
    static void moveOver(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING); // same directory: still a rename(2) on POSIX
        }
    }

    /** Removes {@code tmp} after {@code failure}, recording a cleanup error on it. */
    static void deleteQuietly(Path tmp, Throwable failure) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }
}
