package dev.nncompress.backend.cuda.vendor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The vendor-library probe of info --devices, on folders made here (runs on every machine). */
class VendorLibrariesTest {
    @TempDir Path tmp;

    @Test
    void reportsNotFoundWhenNoSonameIsInTheFolders() {
        List<VendorLibraries.Probe> probes = VendorLibraries.probe(List.of(tmp));
        assertEquals(List.of("cuBLAS", "cuBLASLt", "cuDNN", "CUDA runtime"), probes.stream().map(VendorLibraries.Probe::name).toList());
        for (VendorLibraries.Probe p : probes) {
            assertFalse(p.found(), p.toString());
            assertFalse(p.loaded(), p.toString());
        }
    }

    @Test
    void aFileThatIsNoLibraryIsFoundButDoesNotLoad() throws Exception {
        Path first = Files.createDirectories(tmp.resolve("first"));
        Path second = Files.createDirectories(tmp.resolve("second"));
        Files.writeString(first.resolve("libcublas.so.12"), "not an ELF file");
        Files.writeString(second.resolve("libcublas.so.13"), "not an ELF file either");
        VendorLibraries.Probe p = VendorLibraries.probe(VendorLibraries.KNOWN.get(0), List.of(first, second));
        // the newest soname wins over folder order; with both failing, the first tried is reported
        assertEquals(second.resolve("libcublas.so.13").toAbsolutePath(), p.file());
        assertFalse(p.loaded());
        assertTrue(p.error() != null && !p.error().isBlank() && p.error().lines().count() == 1, p.error());
    }

    @Test
    void aLoadableFileUnderTheSonameLoads() throws Exception {
        // any real shared library stands in for cuDNN: the probe only proves that dlopen succeeds
        Path libz = Stream.of("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib64/libz.so.1")
                .map(Path::of).filter(Files::isRegularFile).findFirst().orElse(null);
        assumeTrue(libz != null, "no libz.so.1 in the usual folders");
        Path dir = Files.createDirectories(tmp.resolve("lib"));
        Files.writeString(dir.resolve("libcudnn.so.9"), "broken");
        Path dir2 = Files.createDirectories(tmp.resolve("lib2"));
        Files.copy(libz, dir2.resolve("libcudnn.so.9"));
        VendorLibraries.Probe p = VendorLibraries.probe(VendorLibraries.KNOWN.get(2), List.of(dir, dir2));
        assertEquals("cuDNN", p.name());
        assertEquals(dir2.resolve("libcudnn.so.9").toAbsolutePath(), p.file(), "a file that loads beats an earlier broken one");
        assertTrue(p.loaded());
        assertNull(p.error());
    }

    @Test
    void searchPathEndsWithTheSystemFoldersOnce() {
        List<Path> dirs = VendorLibraries.searchPath();
        assertEquals(dirs.size(), dirs.stream().distinct().count(), dirs.toString());
        assertTrue(dirs.contains(Path.of("/usr/lib/x86_64-linux-gnu")), dirs.toString());
        assertEquals(Path.of("/lib"), dirs.get(dirs.size() - 1));
    }
}
