package dev.nncompress.backend.cuda.driver;

import dev.nncompress.backend.BackendUnavailableException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs on every machine: with or without a GPU, probing CUDA never throws and explains itself in one line. */
class CudaDriverTest {
    @Test
    void probingNeverThrowsAndAReasonIsOneLine() {
        String why = assertDoesNotThrow(CudaDriver::unavailableReason);
        if (why == null) {
            CudaDriver d = CudaDriver.get();
            assertTrue(d.info().ccMajor() >= 7, d.info().toString());
            assertFalse(d.info().name().isBlank());
            return;
        }
        assertFalse(why.isBlank());
        assertEquals(1, why.lines().count(), why);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, CudaDriver::get);
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertEquals(why, CudaDriver.unavailableReason(), "the probe runs once and its answer is stable");
    }
}
