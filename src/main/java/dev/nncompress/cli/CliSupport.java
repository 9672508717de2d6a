package dev.nncompress.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.util.Quoted;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Output-file checks, backend choice and number formatting shared by the commands (option ranges: train.Check). */
final class CliSupport {
    /** Fashion-MNIST's classes in label order. */
    static final List<String> FASHION_MNIST_CLASSES = FashionMnist.CLASS_NAMES;

    private CliSupport() {}

    /** Fails before any work is done when the directory of an output file is missing. */
    static void checkWritable(String option, Path file) {
        Path abs = file.toAbsolutePath();
        if (Files.isDirectory(abs)) throw new IllegalArgumentException(option + " " + file + " is a directory; give a file name");
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) throw new IllegalArgumentException(option + " " + file + ": directory " + dir + " does not exist");
        if (dir != null && !Files.isWritable(dir)) throw new IllegalArgumentException(option + " " + file + ": directory " + dir + " is not writable");
    }

    /** The backend named by --backend, created for this command (which closes it); the choice is logged to err. */
    static Backend createBackend(String name, PrintWriter err) {
        return Backends.create(name, line -> {
            err.println(line);
            err.flush();
        });
    }

    /** A usage error (IllegalArgumentException) listing the known names when {@code name} is not one. */
    static void checkBackendName(String name) {
        if (!Backends.knownNames().contains(name)) {
            throw new IllegalArgumentException("--backend: unknown backend '" + name + "'; known here: " + String.join(", ", Backends.knownNames()));
        }
    }

    /**
     * A heap backend for reading parameters without touching native libraries (info): nothing is
     * printed and the process default stays unchosen.
     */
    static Backend inspectionBackend() { return Backends.heapBackend(); }

    static String className(int label) { return className(FASHION_MNIST_CLASSES, label); }

    /** Label {@code label}'s name from {@code names} (a dataset's or a model file's), else "class N". */
    static String className(List<String> names, int label) {
        return label < names.size() ? Quoted.safeLine(names.get(label)) : "class " + label;
    }

    /** 52,138 */
    static String grouped(long n) { return String.format(Locale.ROOT, "%,d", n); }

    /** One-line JSON of a provenance entry (maps, lists, numbers, strings). */
    static String compactJson(Object value) {
        try {
            return new JsonMapper().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("provenance entry could not be written as JSON: " + value, e);
        }
    }

    static String percent(double fraction) { return String.format(Locale.ROOT, "%.2f%%", 100 * fraction); }

    /** 1.2 MiB */
    static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        if (b < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    }
}
