package dev.nncompress.backend.cuda.vendor;

import jcuda.JCudaVersion;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@code -Pjcuda11} builds only: the JCudnn route is in the build, found by name, and fails cleanly,
 * naming libcudnn.so.8, where cuDNN 8 is absent (as here); the JCuda family is 11.7.0 throughout.
 */
class JcudnnRouteTest {
    @Test
    void theProfileBuildsTheJcudaElevenFamily() {
        assertEquals("11.7.0", JCudaVersion.get());
        assertEquals("JCublas 11.7.0", JcublasBlas.label());
    }

    @Test
    void jcudnnIsFoundByNameAndFailsCleanlyWithoutCudnn8() {
        boolean present = VendorLibraries.searchPath().stream().anyMatch(d -> Files.exists(d.resolve("libcudnn.so.8")));
        String why = JcudnnRoute.loadFailure();
        if (present) assertNull(why);
        else assertEquals("libcudnn.so.8 not found", why);
        assertEquals(why, JcudnnRoute.loadFailure());
    }

    @Test
    void cudnnVersionsReadInBothNumberings() {
        assertEquals("8.9.7", JcudnnHandle.version(8907));
        assertEquals("8.2.1", JcudnnHandle.version(8201));
        assertEquals("9.1.0", JcudnnHandle.version(90100));
    }
}
