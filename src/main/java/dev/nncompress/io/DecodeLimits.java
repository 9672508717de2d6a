package dev.nncompress.io;

import java.nio.file.Path;

/**
 * How much memory a model file may claim once decoded, checked before anything is allocated. Stored
 * forms that expand ({@link SparseStorage}'s bitmask: 1 bit per zero becomes a 4-byte float, so up to
 * 32x; {@link NmStorage}: up to ~7x) let a small file ask for a large {@code float[]}: a decompression
 * bomb if nothing bounds the total. Two bounds, both on the sum over all of a file's tensors of their
 * decoded (dense) size, stored-dense tensors counted at their stored size:
 * <ul>
 *   <li>at most {@link #MAX_EXPANSION} (32) times the file's size: the bitmask form's own ceiling (an
 *       all-zero tensor costs n/8 bytes for 4n), which no real file reaches because its header, values and
 *       dense tensors count in its size. A file claiming more is lying about its shapes;</li>
 *   <li>at most {@link #MAX_GROWTH_BYTES} (1 GiB) more than the file's size: what the reader may add on top
 *       of the file it was handed. 1 GiB is 256M float parameters (150x our largest built-in model, room
 *       for a 90%-pruned VGG-16), a quarter of the CLI's default 4 GiB heap so that the decoding's transient
 *       copies still fit.</li>
 * </ul>
 */
final class DecodeLimits {
    static final int MAX_EXPANSION = 32;
    static final long MAX_GROWTH_BYTES = 1L << 30;

    private DecodeLimits() {}

    /** ModelFormatException naming {@code file} if {@code decodedBytes} break either bound. */
    static void check(Path file, long fileBytes, long decodedBytes) { check(file, fileBytes, decodedBytes, MAX_EXPANSION); }

    /**
     * The same with the expansion ceiling of another stored form: entropy-coded files ({@link CodedStorage}) reach
     * further than 32x, so theirs is {@link CodedStorage#MAX_EXPANSION}; the 1 GiB growth bound is the same.
     */
    static void check(Path file, long fileBytes, long decodedBytes, long maxExpansion) {
        if (decodedBytes > maxExpansion * fileBytes) {
            throw new ModelFormatException(file + ": its tensors would decode to " + decodedBytes + " bytes, more than "
                    + maxExpansion + " x the file's " + fileBytes + " bytes (the most its stored form expands); "
                    + "its sparse tensor shapes cannot be true");
        }
        if (decodedBytes - fileBytes > MAX_GROWTH_BYTES) {
            throw new ModelFormatException(file + ": its tensors would decode to " + decodedBytes + " bytes, more than "
                    + MAX_GROWTH_BYTES + " (1 GiB) beyond the file's " + fileBytes + " bytes, the limit of this reader");
        }
    }
}
