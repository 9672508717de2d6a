package dev.nncompress.backend.cuda;

import dev.nncompress.backend.cuda.driver.KernelSignatures;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Where the build has nvcc, the kernels of cuda-kernels/ must be in the jar as one fatbin (the file
 * the CUDA backend loads with cuModuleLoadData) and name every kernel family's entry points.
 */
class FatbinBuildTest {
    /** Magic number of a CUDA fat binary (little-endian 0xBA55ED50). */
    private static final int FATBIN_MAGIC = 0xBA55ED50;

    private static boolean nvccOnPath() {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "nvcc")));
    }

    @Test
    void fatbinHoldsEveryKernelOfTheSources() throws Exception {
        assumeTrue(nvccOnPath(), "nvcc not on PATH: the build skipped the CUDA kernels");
        byte[] fatbin;
        try (InputStream in = getClass().getResourceAsStream("/dev/nncompress/cuda/nncompress.fatbin")) {
            assertNotNull(in, "the build ran nvcc but the fatbin is not on the class path");
            fatbin = in.readAllBytes();
        }
        assertEquals(FATBIN_MAGIC, ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN).getInt(0), "fatbin magic");
        String text = new String(fatbin, java.nio.charset.StandardCharsets.ISO_8859_1);
        // every extern "C" kernel of the packed sources is in the fatbin, and those are all of cuda-kernels/*.cu
        var packed = KernelSignatures.load();
        assertTrue(packed.size() >= 20, "kernel sources packed beside the fatbin: " + packed.keySet());
        for (String kernel : packed.keySet()) assertTrue(text.contains(kernel), kernel + " missing from the fatbin");
        var inTree = new java.util.TreeSet<String>();
        for (String source : KernelSourceTree.families().values()) inTree.addAll(KernelSignatures.parse(source).keySet());
        assertEquals(inTree, new java.util.TreeSet<>(packed.keySet()), "packed sources vs cuda-kernels/*.cu");
    }
}
