package dev.nncompress.data;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
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

    /**
     * The most deflate can expand: 1032:1 (zlib's technical notes: a 258-byte match costs at best
     * 2 bits, plus block overhead). A gzip file cannot hold more data than this times its size.
     */
    static final long MAX_DEFLATE_RATIO = 1032;

    /** The first allocation for a gzip file's data (Fashion-MNIST's 47 MB images double up to it). */
    private static final int FIRST_CHUNK = 1 << 20;

    private IdxReader() {
    }

    /** Reads the whole file. */
    public static IdxFile read(Path file) {
        return read(file, Integer.MAX_VALUE);
    }

    /**
     * Reads the header and the first {@code limit} items (all if the file has fewer). With a small
     * limit only a prefix of a gzip stream is inflated, which keeps test slices cheap.
     *
     * <p>Nothing is allocated on the header's word alone: a plain file must be exactly as long as its
     * header says (checked against the file size first), and a gzip file's data array grows only as
     * inflated bytes arrive, after the header's claim was checked against the most that many compressed
     * bytes can inflate to ({@link #MAX_DEFLATE_RATIO}).
     */
    public static IdxFile read(Path file, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        try (Opened o = open(file)) {
            DataInputStream in = o.in();
            int[] dims = readHeader(file, in);
            long declared = dataBytes(dims); // readHeader capped it below 2^31
            long headerBytes = 4 + 4L * dims.length;
            if (!o.gzip() && o.fileBytes() - headerBytes != declared) {
                long actual = o.fileBytes() - headerBytes;
                throw new DatasetException(file + ": " + (actual < declared ? "truncated: " : "") + "header declares "
                        + declaration(dims) + " bytes of data but the file holds " + actual + " after its " + headerBytes
                        + "-byte header" + (actual > declared ? " (" + (actual - declared) + " bytes too many)" : ""));
            }
            if (o.gzip() && declared > MAX_DEFLATE_RATIO * o.fileBytes()) {
                throw new DatasetException(file + ": header declares " + declaration(dims) + " bytes of data but "
                        + o.fileBytes() + " bytes of gzip inflate to at most " + MAX_DEFLATE_RATIO * o.fileBytes()
                        + " (deflate's limit of " + MAX_DEFLATE_RATIO + ":1)");
            }
            int items = Math.min(limit, dims[0]);
            long itemSize = 1;
            for (int i = 1; i < dims.length; i++) {
                itemSize *= dims[i];
            }
            long expected = items * itemSize; // <= declared
            byte[] data;
            if (o.gzip()) {
                data = readGrowing(in, (int) expected);
            } else { // its size was checked above: allocate once
                data = new byte[(int) expected];
                int got = readFully(in, data);
                data = got == expected ? data : Arrays.copyOf(data, got);
            }
            if (data.length < expected) {
                throw new DatasetException(file + ": truncated: header declares " + declaration(dims)
                        + " bytes of data, the stream ends after " + data.length + (items < dims[0] ? " of the " + expected + " asked for" : ""));
            }
            // Only a full read can tell a corrupt (too long) stream from a prefix read.
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
        try (Opened o = open(file)) {
            return readHeader(file, o.in());
        } catch (IOException e) {
            throw ioFailure(file, e);
        }
    }

    /** An open IDX file: the (possibly inflating) stream, whether it is gzip, and the size on disk. */
    private record Opened(DataInputStream in, boolean gzip, long fileBytes) implements Closeable {
        @Override public void close() throws IOException { in.close(); }
    }

    private static Opened open(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw notFound(file);
        }
        long size = Files.size(file);
        BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            InputStream in = gzip ? new BufferedInputStream(new GZIPInputStream(raw, BUFFER), BUFFER) : raw;
            return new Opened(new DataInputStream(in), gzip, size);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** "[3, 28, 28] = 2352" for an error message. */
    private static String declaration(int[] dims) {
        return Arrays.toString(dims) + " = " + dataBytes(dims);
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
     * Up to {@code expected} bytes of {@code in}, fewer if it ends first. The array starts at
     * {@link #FIRST_CHUNK} and doubles only when full, so memory follows the bytes that really
     * arrived, never the header's claim alone.
     */
    static byte[] readGrowing(InputStream in, int expected) throws IOException {
        byte[] buf = new byte[Math.min(expected, FIRST_CHUNK)];
        int off = 0;
        try {
            while (off < expected) {
                if (off == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(expected, 2L * buf.length));
                }
                int n = in.read(buf, off, buf.length - off);
                if (n < 0) {
                    break;
                }
                off += n;
            }
        } catch (EOFException e) {
            // a gzip stream cut short: report what arrived
        }
        return off == buf.length ? buf : Arrays.copyOf(buf, off);
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
