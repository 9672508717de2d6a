package dev.nncompress.backend.cuda.vendor;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which NVIDIA vendor libraries (cuBLAS, cuBLASLt, cuDNN, the CUDA runtime) this process can load, and from which file:
 * each is looked for by its sonames, newest first, in {@code LD_LIBRARY_PATH} and then the usual
 * system folders (the order the dynamic loader uses, less its cache), and loaded with
 * {@link System#load} to prove that its own dependencies resolve too. For {@code info --devices}.
 */
public final class VendorLibraries {
    private VendorLibraries() {}

    /** A library by its display name and the sonames that may provide it, preferred first. */
    public record Library(String name, List<String> sonames) {}

    /**
     * cuBLAS 13 / cuDNN 9 are what the GPU machines have; 12 / 8 are what JCublas 12.6 / JCudnn 11.7 link.
     * The CUDA runtime (cudart 13) is listed because bytedeco's cuBLAS and cuDNN presets load it first.
     */
    public static final List<Library> KNOWN = List.of(
            new Library("cuBLAS", List.of("libcublas.so.13", "libcublas.so.12")),
            new Library("cuBLASLt", List.of("libcublasLt.so.13", "libcublasLt.so.12")),
            new Library("cuDNN", List.of("libcudnn.so.9", "libcudnn.so.8")),
            new Library("CUDA runtime", List.of("libcudart.so.13", "libcudart.so.12")));

    private static final List<String> SYSTEM_DIRS = List.of("/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
            "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib");

    /**
     * The outcome for one library: {@code file} is null when no soname was found; {@code error} is null
     * when {@code file} loaded, else the loader's message in one line.
     */
    public record Probe(String name, Path file, String error) {
        public boolean found() { return file != null; }

        public boolean loaded() { return file != null && error == null; }
    }

    /** {@code LD_LIBRARY_PATH}'s folders, then the system folders, each once. */
    public static List<Path> searchPath() {
        Set<Path> dirs = new LinkedHashSet<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(File.pathSeparator)) if (!d.isBlank()) dirs.add(Path.of(d));
        }
        for (String d : SYSTEM_DIRS) dirs.add(Path.of(d));
        return List.copyOf(dirs);
    }

    /** Probes every {@link #KNOWN} library in {@code dirs}. */
    public static List<Probe> probe(List<Path> dirs) {
        List<Probe> out = new ArrayList<>();
        for (Library lib : KNOWN) out.add(probe(lib, dirs));
        return out;
    }

    /**
     * The first file of {@code lib} that loads; when files exist but none loads, the first one with its
     * error; when none exists, not found.
     */
    public static Probe probe(Library lib, List<Path> dirs) {
        Probe firstFailure = null;
        for (String soname : lib.sonames()) {
            for (Path dir : dirs) {
                Path file = dir.resolve(soname).toAbsolutePath();
                if (!Files.isRegularFile(file)) continue;
                try {
                    System.load(file.toString());
                    return new Probe(lib.name(), file, null);
                } catch (UnsatisfiedLinkError | SecurityException e) {
                    String msg = String.valueOf(e.getMessage()).strip().replaceAll("\\s*\\R\\s*", "; ");
                    if (firstFailure == null) firstFailure = new Probe(lib.name(), file, msg);
                }
            }
        }
        return firstFailure != null ? firstFailure : new Probe(lib.name(), null, null);
    }
}
