package dev.nncompress.data;

import dev.nncompress.util.Quoted;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * An {@code .npz} file (a zip archive of {@code NAME.npy} entries, as {@code np.savez} and {@code np.savez_compressed}
 * write it), opened with the JDK's {@link ZipFile} and checked entry by entry before any is read: at most {@link
 * #MAX_ENTRIES} entries, names of at most 256 characters, stored or deflated only, a compressed size within the
 * file, a stored entry's two sizes equal, and a deflated entry's declared size at most 1032 times its compressed
 * size (deflate's maximum ratio, as {@link IdxReader#MAX_DEFLATE_RATIO}). The declared size is still only a claim:
 * {@link NpyArray} grows its buffer as inflated bytes arrive and refuses a stream that ends early or runs on.
 */
final class NpzFile implements AutoCloseable {
    static final int MAX_ENTRIES = 64;
    static final int MAX_NAME_CHARS = 256;

    private final Path path;
    private final ZipFile zip;
    private final List<String> names;

    private NpzFile(Path path, ZipFile zip, List<String> names) {
        this.path = path;
        this.zip = zip;
        this.names = names;
    }

    static NpzFile open(Path path) {
        long fileBytes;
        ZipFile zip;
        try {
            fileBytes = Files.size(path);
            zip = new ZipFile(path.toFile());
        } catch (ZipException e) {
            throw new DatasetException(path + ": not a valid .npz (zip) file: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DatasetException(path + ": cannot read: " + e.getMessage(), e);
        }
        try {
            if (zip.size() > MAX_ENTRIES) {
                throw new DatasetException(path + ": " + zip.size() + " zip entries, more than the " + MAX_ENTRIES + " an .npz may have here");
            }
            List<String> names = new ArrayList<>();
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                check(path, fileBytes, e);
                names.add(e.getName());
            }
            return new NpzFile(path, zip, names);
        } catch (RuntimeException e) {
            closeQuietly(zip);
            if (e instanceof DatasetException d) throw d;
            throw new DatasetException(path + ": not a valid .npz (zip) file: " + e.getMessage(), e);
        }
    }

    private static void check(Path path, long fileBytes, ZipEntry e) {
        String name = e.getName();
        if (name.length() > MAX_NAME_CHARS) throw new DatasetException(path + ": a zip entry name of " + name.length() + " characters");
        String where = path + ": entry " + Quoted.of(name);
        long size = e.getSize();
        long packed = e.getCompressedSize();
        if (size < 0 || packed < 0 || packed > fileBytes) {
            throw new DatasetException(where + " declares " + packed + " compressed bytes in a file of " + fileBytes);
        }
        if (e.getMethod() == ZipEntry.STORED) {
            if (size != packed) throw new DatasetException(where + " is stored but declares " + size + " bytes in " + packed);
        } else if (e.getMethod() == ZipEntry.DEFLATED) {
            if (size > IdxReader.MAX_DEFLATE_RATIO * Math.max(packed, 2)) {
                throw new DatasetException(where + " declares " + size + " bytes from " + packed + " deflated ones, more than deflate's "
                        + IdxReader.MAX_DEFLATE_RATIO + ":1 can hold");
            }
        } else {
            throw new DatasetException(where + " uses zip compression method " + e.getMethod() + "; .npz entries are stored or deflated");
        }
    }

    /** The array {@code name} (its entry {@code name.npy}), or null when the file has none. */
    NumpyArrays.Opened open(String name) throws IOException {
        ZipEntry e = zip.getEntry(name + ".npy");
        if (e == null || e.isDirectory()) return null;
        return new NumpyArrays.Opened(path + "[" + name + ".npy]", new BufferedInputStream(zip.getInputStream(e), 1 << 16), e.getSize());
    }

    /** "x.npy, y.npy" for a message: at most the first 8 names, quoted. */
    String names() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, names.size()); i++) sb.append(i == 0 ? "" : ", ").append(Quoted.of(names.get(i)));
        if (names.size() > 8) sb.append(", ... (").append(names.size()).append(" entries)");
        return names.isEmpty() ? "no entries" : sb.toString();
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }

    private static void closeQuietly(ZipFile z) {
        try {
            z.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }
}
