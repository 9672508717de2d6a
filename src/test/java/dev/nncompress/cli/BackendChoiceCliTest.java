package dev.nncompress.cli;

import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.data.FashionMnist;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** --backend cuda where there is no usable GPU: exit code 1 and one error line that says why. */
class BackendChoiceCliTest {
    @Test
    void cudaWithoutAGpuIsOneLineAndExitCodeOne() {
        String why = CudaDriver.unavailableReason();
        assumeTrue(why != null, "a GPU is present here");
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TEST_IMAGES)),
                "Fashion-MNIST is not installed in " + FashionMnist.DEFAULT_DIR);
        MainTest.Run r = MainTest.run("eval", "student", "--backend", "cuda", "--test-limit", "10");
        assertEquals(1, r.code(), r.err());
        String line = r.singleError();
        assertTrue(line.contains("backend cuda is unavailable") && line.contains(why), line);
    }
}
