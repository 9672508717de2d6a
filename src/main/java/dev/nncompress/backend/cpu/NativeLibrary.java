package dev.nncompress.backend.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads our JNI library ({@code native/}, built by {@code scripts/build-native.sh} into the jar) once per
 * process: the class-path resource is copied to a temporary file and {@code System.load}ed from there.
 * Every failure (other OS or CPU architecture, built without g++, a file the loader rejects) becomes a
 * one-line reason; an {@link UnsatisfiedLinkError} never escapes.
 */
final class NativeLibrary {
    static final String RESOURCE = "/dev/nncompress/native/linux-x86_64/libnncompress_native.so";

    /** Whether the library is loaded, and if not, why. */
    record Status(boolean loaded, String reason) {
        static Status failed(String reason) { return new Status(false, reason); }
    }

    private static Status status;

    private NativeLibrary() {}

    /** Our library, loaded on the first call; later calls return the same status. */
    static synchronized Status load() {
        if (status == null) status = load(RESOURCE, System.getProperty("os.name"), System.getProperty("os.arch"));
        return status;
    }

    /** Loads the library at class-path {@code resource} on a machine that says {@code os}/{@code arch}. */
    static Status load(String resource, String os, String arch) {
        String platform = os.toLowerCase(Locale.ROOT) + "/" + arch.toLowerCase(Locale.ROOT);
        if (!platform.equals("linux/amd64") && !platform.equals("linux/x86_64")) {
            return Status.failed("no native kernels for " + os + "/" + arch + " (built for linux/x86-64 only)");
        }
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) return Status.failed(resource.substring(resource.lastIndexOf('/') + 1) + " is not on the class path (built without g++?)");
            Path file = Files.createTempFile("nncompress-native-", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toAbsolutePath().toString());
            return new Status(true, "loaded " + resource);
        } catch (IOException e) {
            return Status.failed("cannot extract " + resource + ": " + e.getMessage());
        } catch (UnsatisfiedLinkError | SecurityException e) {
            return Status.failed("cannot load " + resource + ": " + e.getMessage());
        }
    }
}
