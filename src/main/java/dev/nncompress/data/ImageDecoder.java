package dev.nncompress.data;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;

/**
 * Decodes one PNG or JPEG file of an image folder with the JDK's {@code javax.imageio} and resizes it
 * ({@link Resampler}). Untrusted input: the file's size and the dimensions its header claims are checked (the
 * latter read through the {@link ImageReader} before any pixel is decoded), an image above {@link
 * DataLimits#DECODE_PIXELS} is decoded with source subsampling, and every decoder failure becomes one {@link
 * DatasetException} naming the file.
 *
 * <p>Colour rule: an image is grayscale when its colour model has one colour component (PNG gray or gray+alpha,
 * grayscale JPEG) or is a palette whose entries are all gray; everything else is RGB. Alpha is dropped, as Pillow's
 * {@code convert("RGB")} does. 16-bit samples keep their top 8 bits; 1, 2 and 4-bit gray samples are scaled to 0..255.
 */
final class ImageDecoder {
    static {
        ImageIO.setUseCache(false); // decode in memory: no temporary files for streams
    }

    /** One image resized and cropped: one plane (grayscale) or three (R, G, B), each {@code h x w}. */
    record Decoded(boolean gray, byte[] planes) {}

    private ImageDecoder() {}

    static Decoded decode(Path file, int outH, int outW) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (size == 0) throw new DatasetException(file + ": empty file");
        if (size > DataLimits.MAX_IMAGE_FILE_BYTES) {
            throw new DatasetException(file + ": " + size + " bytes, more than the " + DataLimits.MAX_IMAGE_FILE_BYTES + " an image file may have");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) throw new DatasetException(file + ": cannot open");
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new DatasetException(file + ": not a PNG or JPEG image (its content matches no image format)");
            ImageReader reader = readers.next();
            try {
                String format = reader.getFormatName().toLowerCase(Locale.ROOT);
                if (!format.equals("png") && !format.equals("jpeg")) {
                    throw new DatasetException(file + ": is a " + format.toUpperCase(Locale.ROOT) + " image; image folders hold PNG and JPEG files");
                }
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                checkDimensions(file, w, h);
                ImageReadParam param = reader.getDefaultReadParam();
                int sub = subsampling(w, h);
                if (sub > 1) param.setSourceSubsampling(sub, sub, 0, 0);
                return resize(reader.read(0, param), outH, outW);
            } finally {
                reader.dispose();
            }
        } catch (DatasetException e) {
            throw e;
        } catch (IOException | RuntimeException e) { // decoders throw IIOException and, on crafted input, runtime exceptions
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new DatasetException(file + ": cannot decode: " + msg, e);
        }
    }

    static void checkDimensions(Path file, int w, int h) {
        if (w <= 0 || h <= 0) throw new DatasetException(file + ": header claims " + w + "x" + h + " pixels");
        if (w > DataLimits.MAX_IMAGE_SIDE || h > DataLimits.MAX_IMAGE_SIDE || (long) w * h > DataLimits.MAX_IMAGE_PIXELS) {
            throw new DatasetException(file + ": header claims " + w + "x" + h + " pixels, more than the " + DataLimits.MAX_IMAGE_PIXELS
                    + " pixels (sides up to " + DataLimits.MAX_IMAGE_SIDE + ") an image may have");
        }
    }

    /** The smallest k such that every k-th pixel of each row and column fits {@link DataLimits#DECODE_PIXELS}. */
    static int subsampling(int w, int h) {
        int k = 1;
        while (((long) (w + k - 1) / k) * ((h + k - 1) / k) > DataLimits.DECODE_PIXELS) k++;
        return k;
    }

    private static Decoded resize(BufferedImage img, int outH, int outW) {
        int w = img.getWidth();
        int h = img.getHeight();
        ColorModel cm = img.getColorModel();
        if (isGray(cm)) {
            byte[] plane = new byte[w * h];
            Raster r = img.getRaster();
            int bits = cm.getComponentSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) plane[y * w + x] = (byte) gray(cm, row[x], bits);
            }
            return new Decoded(true, Resampler.coverAndCrop(plane, h, w, outH, outW));
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        byte[] out = new byte[3 * outH * outW];
        byte[] plane = new byte[w * h];
        for (int c = 0; c < 3; c++) {
            int shift = 16 - 8 * c;
            for (int i = 0; i < plane.length; i++) plane[i] = (byte) (argb[i] >>> shift);
            System.arraycopy(Resampler.coverAndCrop(plane, h, w, outH, outW), 0, out, c * outH * outW, outH * outW);
        }
        return new Decoded(false, out);
    }

    private static boolean isGray(ColorModel cm) {
        if (cm instanceof IndexColorModel icm) {
            for (int i = 0; i < icm.getMapSize(); i++) {
                if (icm.getRed(i) != icm.getGreen(i) || icm.getRed(i) != icm.getBlue(i)) return false;
            }
            return true;
        }
        return cm.getNumColorComponents() == 1;
    }

    private static int gray(ColorModel cm, int sample, int bits) {
        if (cm instanceof IndexColorModel icm) return icm.getRed(sample);
        if (bits == 8) return sample;
        if (bits > 8) return sample >>> (bits - 8);
        return sample * 255 / ((1 << bits) - 1);
    }
}
