package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BackendProvider;
import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.backend.Backends;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cuda provider is found first and, without a GPU, "auto" falls back saying why in its one line. */
class CudaBackendProviderTest {
    @Test void providerIsListedFirstWithTheDriversReason() {
        BackendProvider first = Backends.providers().get(0);
        assertEquals("cuda", first.name());
        assertEquals(100, first.rank());
        assertEquals(CudaDriver.unavailableReason(), first.unavailableReason());
        assertTrue(Backends.knownNames().contains("cuda"));
    }

    @Test void withoutAGpuAutoFallsBackAndCudaIsRefusedInOneLine() {
        String why = CudaDriver.unavailableReason();
        List<String> log = new ArrayList<>();
        if (why == null) {
            try (Backend b = Backends.create("auto", log::add)) {
                assertEquals("cuda", b.name());
                assertTrue(log.get(0).startsWith("nncompress: backend cuda ("), log.toString());
            }
            return;
        }
        assertFalse(why.isBlank());
        assertEquals(1, why.lines().count(), why);
        try (Backend b = Backends.create("auto", log::add)) {
            assertFalse(b.name().equals("cuda"));
            assertEquals(1, log.size(), log.toString());
            assertTrue(log.get(0).contains("not used: cuda: " + why), log.get(0));
        }
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.create("cuda", log::add));
        assertEquals("backend cuda is unavailable: " + why, e.getMessage());
        assertThrows(BackendUnavailableException.class, CudaBackend::new);
    }
}
