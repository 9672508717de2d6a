package dev.nncompress.data;

import java.util.Locale;

/**
 * What a dataset may claim, checked before anything is decoded or allocated on a file's word (docs/data.md, "Limits").
 * Each reader checks its own format's numbers; these are the bounds they share.
 */
public final class DataLimits {
    /** Image files in one image folder (both splits): ImageNet-1k's training set has 1.28M; a million 32x32 RGB images are 3 GB. */
    public static final int MAX_IMAGE_FILES = 1 << 20;

    /** Bytes of one PNG or JPEG file: a 24-megapixel JPEG is ~10 MB, a 16-bit 24-megapixel PNG ~100 MB at worst. */
    public static final long MAX_IMAGE_FILE_BYTES = 64L << 20;

    /** Pixels a PNG or JPEG header may claim (64 megapixels, 8192 x 8192); checked before decoding. */
    public static final long MAX_IMAGE_PIXELS = 1L << 26;

    /** Longest side a PNG or JPEG header may claim. */
    public static final int MAX_IMAGE_SIDE = 1 << 15;

    /**
     * Pixels decoded per image: a larger image is decoded with source subsampling (every k-th pixel), so that one
     * image never takes more than 16 MB of heap whatever its size (4 bytes a pixel).
     */
    public static final long DECODE_PIXELS = 1L << 22;

    /** Side of the images an image folder is resized to (--image-size; ImageNet models take 224). */
    public static final int MAX_SIDE = 1024;

    /** Values per image (C x H x W), as the graph's own bound on a sample. */
    public static final int MAX_IMAGE_VALUES = 1 << 24;

    /** Classes of a dataset (labels are in [0, 65535]). */
    public static final int MAX_CLASSES = RawImages.MAX_LABEL + 1;

    /** Characters of a class name (a folder name, a line of a CIFAR names file, an option). */
    public static final int MAX_CLASS_NAME_CHARS = 256;

    /** Bytes of a class-names text file (CIFAR-100's fine names are 1 KB). */
    public static final int MAX_NAMES_FILE_BYTES = 1 << 20;

    private DataLimits() {}

    /**
     * Refuses, before anything is read, a split of {@code images} images of {@code valuesPerImage} values stored as
     * {@code rawBytesPerValue}-byte values whose raw copy plus its normalised float copy would not fit in half the
     * JVM's maximum heap (the other half is the model's, the batches' and the backend's), or in one Java array.
     */
    public static void checkMemory(Object where, long images, long valuesPerImage, int rawBytesPerValue) {
        long values = images * valuesPerImage; // both factors < 2^31 and checked by the callers' formats
        if (values > Integer.MAX_VALUE - 8) {
            throw new DatasetException(where + ": " + images + " images of " + valuesPerImage + " values are " + values
                    + " values, more than one Java array holds; use --train-limit/--test-limit");
        }
        long need = values * (4L + rawBytesPerValue);
        long budget = Runtime.getRuntime().maxMemory() / 2;
        if (need > budget) {
            throw new DatasetException(String.format(Locale.ROOT, "%s: %d images of %d values need %.2f GiB of heap (raw + normalised), "
                            + "more than half of this JVM's %.2f GiB; use --train-limit/--test-limit, or give the JVM more heap (NNCOMPRESS_JAVA_OPTS=-Xmx16g)",
                    where, images, valuesPerImage, need / (double) (1L << 30), Runtime.getRuntime().maxMemory() / (double) (1L << 30)));
        }
    }
}
