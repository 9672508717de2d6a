package dev.nncompress.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.backend.cuda.driver.CudaDevices;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.vendor.VendorLibraries;
import dev.nncompress.backend.cuda.vendor.VendorRoutes;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code info --devices} on whatever this machine has: without a GPU (here) the one-line reason, with
 * one the device list; either way which libraries do GEMM and convolution and the four vendor libraries, each with its file or "not found".
 */
class InfoDevicesTest {
    private static final CudaDevices.Listing LISTING = CudaDevices.list();

    @Test
    void textNamesTheDevicesOrWhyThereAreNone() {
        MainTest.Run r = MainTest.run("info", "--devices");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        List<String> lines = r.out().lines().toList();
        if (LISTING.devices().isEmpty()) {
            assertFalse(LISTING.unavailableReason().isBlank());
            assertEquals(1, LISTING.unavailableReason().lines().count(), LISTING.unavailableReason());
            assertEquals("CUDA: no device: " + LISTING.unavailableReason(), lines.get(0));
        } else {
            assertEquals("CUDA driver " + LISTING.driverVersion(), lines.get(0).substring(0, lines.get(0).indexOf(':')));
            for (CudaDriver.DeviceInfo d : LISTING.devices()) {
                assertTrue(r.out().contains(d.name() + "  compute capability " + d.computeCapability()), r.out());
            }
        }
        String why = CudaDriver.unavailableReason();
        // the second probe of a missing driver must still name it (JCudaDriver's failed initialiser is remembered)
        assertFalse(String.valueOf(why).contains("Could not initialize class"), why);
        assertTrue(lines.contains(why == null ? "nncompress kernels: load on " + CudaDriver.get().info().name()
                : "nncompress kernels: unavailable: " + why), r.out());
        String routes = lines.stream().filter(l -> l.startsWith("float GEMM and convolution: ")).findFirst().orElseThrow(
                () -> new AssertionError("no 'float GEMM and convolution' line:\n" + r.out()));
        if (why != null) assertEquals("float GEMM and convolution: none chosen: no usable CUDA device", routes);
        else assertTrue(routes.matches("float GEMM and convolution: BLAS .+, DNN .+"), routes);
        int header = lines.indexOf("vendor routes, in the order tried (then our own kernels):");
        assertTrue(header > 0, r.out());
        List<VendorRoutes.Route> tried = VendorRoutes.probe();
        for (int i = 0; i < tried.size(); i++) {
            VendorRoutes.Route t = tried.get(i);
            String line = lines.get(header + 1 + i).strip();
            assertTrue(line.startsWith(t.role() + " " + t.label() + " "), line);
            assertTrue(line.endsWith(t.loads() ? "  loads" : "  unavailable: " + t.failure()), line);
        }
        for (VendorLibraries.Library lib : VendorLibraries.KNOWN) {
            String line = lines.stream().filter(l -> l.strip().startsWith(lib.name() + " ")).findFirst().orElseThrow(
                    () -> new AssertionError(lib.name() + " missing:\n" + r.out()));
            String what = line.strip().substring(lib.name().length()).strip();
            assertTrue(what.equals("not found") || lib.sonames().stream().anyMatch(s -> what.contains("/" + s + " (")), line);
        }
    }

    @Test
    void jsonAgreesWithTheProbe() throws Exception {
        MainTest.Run r = MainTest.run("info", "--devices", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode root = new JsonMapper().readTree(r.out());
        JsonNode cuda = root.get("cuda");
        assertEquals(!LISTING.devices().isEmpty(), cuda.get("available").asBoolean());
        assertEquals(LISTING.devices().size(), cuda.get("devices").size());
        if (LISTING.devices().isEmpty()) assertEquals(LISTING.unavailableReason(), cuda.get("reason").asText());
        assertEquals(CudaDriver.unavailableReason() == null, root.get("kernels").get("usable").asBoolean());
        JsonNode libs = root.get("libraries");
        assertEquals(List.of("cuBLAS", "cuBLASLt", "cuDNN", "CUDA runtime"), List.of(libs.get(0).get("name").asText(),
                libs.get(1).get("name").asText(), libs.get(2).get("name").asText(), libs.get(3).get("name").asText()));
        JsonNode tried = root.get("vendor_routes");
        assertEquals(List.of("cublas", "jcublas", "cudnn", "jcudnn"), List.of(tried.get(0).get("property_value").asText(),
                tried.get(1).get("property_value").asText(), tried.get(2).get("property_value").asText(), tried.get(3).get("property_value").asText()));
        for (JsonNode t : tried) assertEquals(t.get("loads").asBoolean(), t.get("reason").isNull(), t.toString());
        JsonNode routes = root.get("gemm_and_conv");
        assertEquals(CudaDriver.unavailableReason() == null, !routes.get("in_use").isNull(), routes.toString());
        for (int i = 0; i < 4; i++) {
            JsonNode lib = libs.get(i);
            if (lib.get("file").isNull()) {
                assertFalse(lib.get("loaded").asBoolean(), lib.toString());
            } else {
                String file = lib.get("file").asText();
                assertTrue(VendorLibraries.KNOWN.get(i).sonames().stream().anyMatch(file::endsWith), file);
                assertEquals(lib.get("error").isNull(), lib.get("loaded").asBoolean(), lib.toString());
            }
        }
        assertTrue(root.get("searched").toString().contains("/usr/lib/x86_64-linux-gnu"), root.get("searched").toString());
    }

    @Test
    void modelAndDevicesAreExclusiveAndOneIsNeeded() {
        MainTest.Run both = MainTest.run("info", "student", "--devices");
        assertEquals(Main.EXIT_USAGE, both.code());
        assertTrue(both.singleError().contains("either MODEL or --devices"), both.err());

        MainTest.Run neither = MainTest.run("info");
        assertEquals(Main.EXIT_USAGE, neither.code());
        assertTrue(neither.singleError().contains("MODEL"), neither.err());
        assertEquals("", neither.out());
    }
}
