package dev.nncompress.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST container format), gzip-compressed or plain.
 *
 * <p>Layout: magic {@code 00 00 TT DD} (TT = element type, DD = number of dims), then DD
 * big-endian u32 dims, then the elements row-major. Only type 0x08 (unsigned byte) with 1 or 3
 * dims is supported, which covers label and image files. Compression is detected from the gzip
 * magic {@code 1f 8b} rather than the file name, so renamed files still load.
 */
public final class IdxReader {

    /** Appended to "not found" errors: the usual fix is installing the Debian package. */
    public static final String INSTALL_HINT = "install Debian's dataset-fashion-mnist "
            + "(sudo apt-get install dataset-fashion-mnist) or pass --data DIR";

    private static final int TYPE_UBYTE = 0x08;
    private static final int BUFFER = 1 << 16;

    private IdxReader() {
    }

    /** Reads the whole file. */
    public static IdxFile read(Path file) {
        return read(file, Integer.MAX_VALUE);
    }

    /**
     * Reads the header and the first {@code limit} items (all if the file has fewer). With a small
     * limit only a prefix of a gzip stream is inflated, which keeps test slices cheap.
     */
    public static IdxFile read(Path file, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        try (DataInputStream in = open(file)) {
            int[] dims = readHeader(file, in);
            int items = Math.min(limit, dims[0]);
            long itemSize = 1;
            for (int i = 1; i < dims.length; i++) {
                itemSize *= dims[i];
            }
            long expected = items * itemSize; // fits: readHeader capped the whole file's size
            byte[] data = new byte[(int) expected];
            int got = readFully(in, data);
            if (got < expected) {
                throw new DatasetException(file + ": truncated: expected " + expected
                        + " bytes of data, got " + got);
            }
            // Only a full read can tell a corrupt (too long) file from a prefix read.
            if (items == dims[0] && in.read() != -1) {
                throw new DatasetException(file + ": has bytes after the " + expected
                        + " bytes of data its header declares");
            }
            return new IdxFile(file, dims, items, data);
        } catch (IOException e) {
            throw ioFailure(file, e);
        }
    }

    /** Reads only the header; cheap way to learn the item count of a large file. */
    public static int[] readDims(Path file) {
        try (DataInputStream in = open(file)) {
            return readHeader(file, in);
        } catch (IOException e) {
            throw ioFailure(file, e);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw notFound(file);
        }
        BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = raw;
            if (b0 == 0x1f && b1 == 0x8b) {
                in = new BufferedInputStream(new GZIPInputStream(raw, BUFFER), BUFFER);
            }
            return new DataInputStream(in);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static int[] readHeader(Path file, DataInputStream in) throws IOException {
        byte[] magic = new byte[4];
        if (readFully(in, magic) < 4) {
            throw new DatasetException(file + ": truncated: shorter than the 4-byte IDX magic");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new DatasetException(String.format(
                    "%s: bad magic %02x %02x %02x %02x: not an IDX file (expected 00 00 08 0N)",
                    file, magic[0], magic[1], magic[2], magic[3]));
        }
        int type = magic[2] & 0xff;
        int ndims = magic[3] & 0xff;
        if (type != TYPE_UBYTE) {
            throw new DatasetException(String.format(
                    "%s: wrong IDX element type 0x%02x; only 0x08 (unsigned byte) is supported",
                    file, type));
        }
        if (ndims != 1 && ndims != 3) {
            throw new DatasetException(file + ": IDX file has " + ndims
                    + " dims; expected 1 (labels) or 3 (images)");
        }
        int[] dims = new int[ndims];
        for (int i = 0; i < ndims; i++) {
            try {
                dims[i] = in.readInt();
            } catch (EOFException e) {
                throw new DatasetException(file + ": truncated inside the IDX header", e);
            }
            if (dims[i] < 0) {
                throw new DatasetException(file + ": dimension " + i + " is "
                        + Integer.toUnsignedString(dims[i]) + ", too large");
            }
        }
        if (dataBytes(dims) > Integer.MAX_VALUE - 8) {
            throw new DatasetException(file + ": " + dataBytes(dims)
                    + " bytes of data do not fit in one Java array");
        }
        return dims;
    }

    private static long dataBytes(int[] dims) {
        long n = 1;
        for (int d : dims) {
            n *= d; // cap below so three dims near 2^31 cannot overflow a long
            if (n > Integer.MAX_VALUE) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    /**
     * Like readFully but returns the count instead of throwing, so errors can report it. A gzip
     * stream cut short throws EOFException rather than returning -1; treat both the same.
     */
    private static int readFully(InputStream in, byte[] buf) throws IOException {
        int off = 0;
        try {
            while (off < buf.length) {
                int n = in.read(buf, off, buf.length - off);
                if (n < 0) {
                    break;
                }
                off += n;
            }
        } catch (EOFException e) {
            return off;
        }
        return off;
    }

    private static DatasetException notFound(Path file) {
        return new DatasetException(file + " not found; " + INSTALL_HINT);
    }

    private static DatasetException ioFailure(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return notFound(file);
        }
        if (e instanceof EOFException || e instanceof ZipException) {
            // GZIPInputStream reports a cut-off stream as EOFException ("Unexpected end of ZLIB
            // input stream") and a damaged one as ZipException.
            return new DatasetException(file + ": truncated or corrupt gzip data: "
                    + e.getMessage(), e);
        }
        return new DatasetException(file + ": cannot read: " + e, e);
    }
}
