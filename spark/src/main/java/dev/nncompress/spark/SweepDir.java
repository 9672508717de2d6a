package dev.nncompress.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A sweep's run directory as every task and the result writers name it: a local path (made absolute on the driver:
 * relative to where the sweep started, the same directory on every executor of a shared file system), or a URI of
 * any file system Hadoop knows ({@code hdfs://}, {@code s3a://}, {@code file://}; Spark carries Hadoop's client). The
 * pipeline writes through {@code java.nio}, so a point with a URI run directory runs into a local scratch directory
 * on its executor and is then copied up through Hadoop's {@link FileSystem}; the results are written by Spark's own
 * writers, which take either.
 */
final class SweepDir {
    private SweepDir() {}

    /** {@code out} as the tasks get it: a URI as given (a trailing '/' dropped), or the absolute local path. */
    static String of(String out) {
        if (out == null || out.isBlank()) throw new IllegalArgumentException("--out is empty");
        if (!isUri(out)) return java.nio.file.Path.of(out).toAbsolutePath().normalize().toString();
        try {
            URI u = new URI(out);
            if (u.getPath() == null || u.getPath().isEmpty() || u.getPath().equals("/")) {
                throw new IllegalArgumentException("--out " + out + ": give a directory below the file system's root");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--out " + out + ": not a URI: " + e.getReason());
        }
        return out.endsWith("/") ? out.substring(0, out.length() - 1) : out;
    }

    /** {@code scheme://...} or {@code scheme:/...}: a Hadoop file system's URI, not a local path. */
    static boolean isUri(String dir) {
        return dir.matches("[A-Za-z][A-Za-z0-9+.-]+:/.*");
    }

    /** {@code dir/name}, for Spark's writers and for messages. */
    static String child(String dir, String... names) {
        StringBuilder b = new StringBuilder(dir);
        for (String n : names) b.append('/').append(n);
        return b.toString();
    }

    /**
     * Copies the local directory {@code local} to {@code dir/points/ID} on the URI's file system, replacing what a
     * failed earlier attempt may have left there, and deletes {@code local}.
     */
    static void upload(java.nio.file.Path local, String dir, String pointId) {
        copyUp(local, new Path(child(dir, PointRun.POINTS, pointId)), "the point's directory");
    }

    /** Copies each file of the local directory {@code local} to {@code dir/NAME} (the sweep view), and deletes {@code local}. */
    static void uploadFiles(java.nio.file.Path local, String dir) {
        try (Stream<java.nio.file.Path> files = Files.list(local)) {
            for (java.nio.file.Path f : files.filter(Files::isRegularFile).toList()) {
                copyUp(f, new Path(child(dir, f.getFileName().toString())), f.getFileName().toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(local + ": " + e.getMessage(), e);
        }
        deleteQuietly(local);
    }

    private static void copyUp(java.nio.file.Path local, Path target, String what) {
        try {
            FileSystem fs = target.getFileSystem(new Configuration());
            if (fs.exists(target)) fs.delete(target, true);
            fs.mkdirs(target.getParent());
            fs.copyFromLocalFile(false, true, new Path(local.toUri()), target);
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot copy " + what + " up: " + e.getMessage(), e);
        }
        deleteQuietly(local);
    }

    /** Removes a scratch directory; what cannot be removed is left to the executor's temporary directory's clean-up. */
    static void deleteQuietly(java.nio.file.Path dir) {
        try (Stream<java.nio.file.Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // scratch only
        }
    }
}
