package dev.nncompress.backend.cuda;

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
    void fatbinIsPackedWithTheQuantisationKernels() throws Exception {
        assumeTrue(nvccOnPath(), "nvcc not on PATH: the build skipped the CUDA kernels");
        byte[] fatbin;
        try (InputStream in = getClass().getResourceAsStream("/dev/nncompress/cuda/nncompress.fatbin")) {
            assertNotNull(in, "the build ran nvcc but the fatbin is not on the class path");
            fatbin = in.readAllBytes();
        }
        assertEquals(FATBIN_MAGIC, ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN).getInt(0), "fatbin magic");
        String text = new String(fatbin, java.nio.charset.StandardCharsets.ISO_8859_1);
        for (String kernel : new String[] {"nnc_quantize_s8", "nnc_dequantize_s8", "nnc_fake_quantize_s8", "nnc_gemm_f32",
            "nnc_im2col", "nnc_col2im", "nnc_ew_relu", "nnc_ew_sum_rows", "nnc_pool_max_backward", "nnc_bn_train",
            "nnc_softmax_xent", "nnc_adam_update"}) {
            assertTrue(text.contains(kernel), kernel + " missing from the fatbin");
        }
    }
}
