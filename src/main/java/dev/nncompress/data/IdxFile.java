package dev.nncompress.data;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Contents of an IDX file of unsigned bytes (type 0x08).
 *
 * @param path  the file it was read from, for error messages
 * @param dims  dimensions as declared in the header, e.g. {60000, 28, 28}; dims[0] is the item
 *              count of the whole file even when only a prefix was read
 * @param items how many items (along dims[0]) {@code data} holds
 * @param data  {@code items * itemSize()} raw bytes, row-major; unsigned, so mask with 0xff
 */
public record IdxFile(Path path, int[] dims, int items, byte[] data) {

    public IdxFile {
        dims = dims.clone();
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    /** Bytes per item: the product of all dims but the first (1 for a 1-d file). */
    public int itemSize() {
        int size = 1;
        for (int i = 1; i < dims.length; i++) {
            size *= dims[i];
        }
        return size;
    }

    /** Unsigned value at flat index {@code i}. */
    public int unsigned(int i) {
        return data[i] & 0xff;
    }

    @Override
    public String toString() {
        return "IdxFile[" + path + ", dims=" + Arrays.toString(dims) + ", items=" + items + "]";
    }
}
