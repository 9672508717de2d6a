package dev.nncompress.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * An image folder (torchvision's {@code ImageFolder} layout): one subfolder per class holding PNG and JPEG files.
 *
 * <p>Layout: when the folder has a {@code train/} subfolder, it holds the training classes and {@code test/} (else
 * {@code val/}) the test classes, each split shuffled by the split seed; otherwise the folder's own subfolders are
 * the classes and a seeded fraction is held out ({@link SeededSplit}). Class names are the subfolder names, sorted
 * (String order), or {@code --classes}, which picks and orders the subfolders. Files directly inside a class folder
 * whose names end in {@code .png}, {@code .jpg} or {@code .jpeg} (any case) are read; hidden files and other files
 * are skipped (counted in the description), subfolders are not entered.
 *
 * <p>Channels: {@code --channels} if given, else 3 when any image read is colour (grayscale ones are then repeated
 * into R, G and B), else 1. Images are resized and centre-cropped to the requested size ({@link Resampler}).
 */
final class ImageFolder {
    private record Entry(Path file, int label) {}

    private ImageFolder() {}

    static DataSplits load(DataRequest r) {
        Path root = r.path();
        Path trainRoot = root;
        Path testRoot = null;
        if (Files.isDirectory(root.resolve("train"))) {
            trainRoot = root.resolve("train");
            testRoot = Files.isDirectory(root.resolve("test")) ? root.resolve("test") : Files.isDirectory(root.resolve("val")) ? root.resolve("val") : null;
        }
        List<String> classes = r.classes().isEmpty() ? classFolders(trainRoot) : r.classes();
        if (classes.isEmpty()) throw new DatasetException(trainRoot + ": no class subfolders");
        if (classes.size() > DataLimits.MAX_CLASSES) {
            throw new DatasetException(trainRoot + ": " + classes.size() + " class folders, more than " + DataLimits.MAX_CLASSES);
        }
        int[] skipped = new int[1];
        int[] budget = {DataLimits.MAX_IMAGE_FILES};
        List<Entry> train = list(trainRoot, classes, true, skipped, budget);
        List<Entry> test;
        String split;
        if (testRoot != null) {
            r.checkNoFraction("has " + testRoot.getFileName() + "/ and train/ folders");
            checkNoStrayClasses(testRoot, classes, r);
            test = list(testRoot, classes, false, skipped, budget);
            train = order(train, SeededSplit.shuffled(train.size(), r.splitSeed()));
            test = order(test, SeededSplit.shuffled(test.size(), r.splitSeed()));
            split = "train/ and " + testRoot.getFileName() + "/ folders, read in a shuffled order (seed " + r.splitSeed() + ")";
        } else {
            int[][] idx = SeededSplit.of(trainRoot, train.size(), r.heldOut(), r.splitSeed());
            test = order(train, idx[1]);
            train = order(train, idx[0]);
            split = SeededSplit.describe(r.heldOut(), r.splitSeed());
        }
        if (skipped[0] > 0) split += "; " + skipped[0] + " non-PNG/JPEG files skipped";
        int h = r.height() == 0 ? DataRequest.DEFAULT_IMAGE_SIZE : r.height();
        int w = r.width() == 0 ? DataRequest.DEFAULT_IMAGE_SIZE : r.width();
        List<Entry> trainRead = r.trainLimit() == 0 ? null : train.subList(0, Math.min(r.trainLimit(), train.size()));
        List<Entry> testRead = r.testLimit() == 0 ? null : test.subList(0, Math.min(r.testLimit(), test.size()));
        long images = (trainRead == null ? 0 : trainRead.size()) + (testRead == null ? 0 : testRead.size());
        DataLimits.checkMemory(root, images, 3L * h * w, 1);

        ImageDecoder.Decoded[] trainImages = decode(trainRead, h, w);
        ImageDecoder.Decoded[] testImages = decode(testRead, h, w);
        int channels = r.channels() != 0 ? r.channels() : anyColour(trainImages) || anyColour(testImages) ? 3 : 1;
        return new DataSplits(DataSource.Format.IMAGE_FOLDER.id(), root, assemble(trainRead, trainImages, channels, h, w),
                assemble(testRead, testImages, channels, h, w), classes, classes.size(), null, split);
    }

    /** The class subfolders' names, sorted; hidden folders are not classes. */
    private static List<String> classFolders(Path dir) {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().forEach(names::add);
        } catch (IOException e) {
            throw new DatasetException(dir + ": cannot list: " + e.getMessage(), e);
        }
        for (String n : names) {
            if (n.length() > DataLimits.MAX_CLASS_NAME_CHARS) {
                throw new DatasetException(dir + ": a class folder name has " + n.length() + " characters, more than " + DataLimits.MAX_CLASS_NAME_CHARS);
            }
        }
        return names;
    }

    /** A test folder's class that training does not know would be scored against the wrong label: refused unless --classes picked. */
    private static void checkNoStrayClasses(Path testRoot, List<String> classes, DataRequest r) {
        if (!r.classes().isEmpty()) return;
        Set<String> known = new HashSet<>(classes);
        for (String c : classFolders(testRoot)) {
            if (!known.contains(c)) {
                throw new DatasetException(testRoot.resolve(c) + ": class folder with no counterpart in " + testRoot.resolveSibling("train")
                        + "; add it there or pick the classes with --classes");
            }
        }
    }

    /** Each class folder's image files in name order, labelled by the class's index; a missing class folder is an error only in training. */
    private static List<Entry> list(Path dir, List<String> classes, boolean training, int[] skipped, int[] budget) {
        List<Entry> out = new ArrayList<>();
        for (int label = 0; label < classes.size(); label++) {
            Path folder = dir.resolve(classes.get(label));
            if (!Files.isDirectory(folder)) {
                if (!training) continue; // a test split may lack a class
                throw new DatasetException(folder + ": class folder not found" + (dir.getFileName() == null ? "" : " in " + dir));
            }
            List<Path> files = new ArrayList<>();
            try (Stream<Path> s = Files.list(folder)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    String name = p.getFileName().toString();
                    String lower = name.toLowerCase(Locale.ROOT);
                    if (name.startsWith(".") || Files.isDirectory(p)) continue;
                    if (!(lower.endsWith(".png") || lower.endsWith(".jpg") || lower.endsWith(".jpeg"))) {
                        skipped[0]++;
                        continue;
                    }
                    if (--budget[0] < 0) {
                        throw new DatasetException(folder + ": more than " + DataLimits.MAX_IMAGE_FILES + " image files in " + dir + "; the limit of an image folder");
                    }
                    files.add(p);
                }
            } catch (IOException e) {
                throw new DatasetException(folder + ": cannot list: " + e.getMessage(), e);
            }
            if (files.isEmpty() && training) throw new DatasetException(folder + ": class folder holds no PNG or JPEG files");
            files.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
            for (Path f : files) out.add(new Entry(f, label));
        }
        return out;
    }

    private static List<Entry> order(List<Entry> entries, int[] order) {
        List<Entry> out = new ArrayList<>(order.length);
        for (int i : order) out.add(entries.get(i));
        return out;
    }

    /**
     * Decodes in parallel (each image is independent and javax.imageio readers are per call); the error reported is
     * the one of the first failing file in reading order, so that it does not depend on thread timing.
     */
    private static ImageDecoder.Decoded[] decode(List<Entry> entries, int h, int w) {
        if (entries == null) return null;
        ImageDecoder.Decoded[] out = new ImageDecoder.Decoded[entries.size()];
        AtomicReferenceArray<DatasetException> errors = new AtomicReferenceArray<>(entries.size());
        IntStream.range(0, entries.size()).parallel().forEach(i -> {
            try {
                out[i] = ImageDecoder.decode(entries.get(i).file(), h, w);
            } catch (DatasetException e) {
                errors.set(i, e);
            }
        });
        for (int i = 0; i < entries.size(); i++) if (errors.get(i) != null) throw errors.get(i);
        return out;
    }

    private static boolean anyColour(ImageDecoder.Decoded[] images) {
        if (images == null) return false;
        for (ImageDecoder.Decoded d : images) if (!d.gray()) return true;
        return false;
    }

    private static RawImages assemble(List<Entry> entries, ImageDecoder.Decoded[] images, int channels, int h, int w) {
        if (entries == null) return null;
        int plane = h * w;
        byte[] pixels = new byte[images.length * channels * plane];
        int[] labels = new int[images.length];
        for (int i = 0; i < images.length; i++) {
            labels[i] = entries.get(i).label();
            byte[] p = images[i].planes();
            int out = i * channels * plane;
            if (channels == 3 && images[i].gray()) {
                for (int c = 0; c < 3; c++) System.arraycopy(p, 0, pixels, out + c * plane, plane);
            } else if (channels == 1 && !images[i].gray()) {
                for (int k = 0; k < plane; k++) {
                    int r = p[k] & 0xff, g = p[plane + k] & 0xff, b = p[2 * plane + k] & 0xff;
                    pixels[out + k] = (byte) RawImages.luma(r, g, b);
                }
            } else {
                System.arraycopy(p, 0, pixels, out, channels * plane);
            }
        }
        return RawImages.ofBytes(pixels, labels, channels, h, w);
    }
}
