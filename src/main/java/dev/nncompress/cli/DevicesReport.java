package dev.nncompress.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.backend.cuda.CudaBackend;
import dev.nncompress.backend.cuda.driver.CudaDevices;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.vendor.VendorLibraries;
import dev.nncompress.backend.cuda.vendor.VendorRoutes;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code nncompress info --devices}: the CUDA devices the driver reports, whether our kernels load on
 * the first usable one, which libraries do float GEMM and convolution (cuBLAS/cuDNN or ours, and why),
 * which vendor routes load, in the order they are tried (cuBLAS 13, JCublas, cuDNN 9, JCudnn), and
 * which vendor libraries (cuBLAS, cuBLASLt, cuDNN, the CUDA runtime) load from which file.
 * Information only: it never fails, a missing driver or library is part of the answer.
 */
final class DevicesReport {
    private final CudaDevices.Listing listing;
    private final String kernelsReason;
    private final List<Path> searched;
    private final List<VendorLibraries.Probe> libraries;
    private final String inUse;       // "BLAS ..., DNN ..." or null
    private final String inUseReason; // why nothing is in use, when inUse is null
    private final List<VendorRoutes.Route> routes;

    DevicesReport(CudaDevices.Listing listing, String kernelsReason, List<Path> searched, List<VendorLibraries.Probe> libraries,
                  String inUse, String inUseReason, List<VendorRoutes.Route> routes) {
        this.listing = listing;
        this.kernelsReason = kernelsReason;
        this.searched = List.copyOf(searched);
        this.libraries = List.copyOf(libraries);
        this.inUse = inUse;
        this.inUseReason = inUseReason;
        this.routes = List.copyOf(routes);
    }

    /** Probes this machine. */
    static DevicesReport probe() {
        List<Path> dirs = VendorLibraries.searchPath();
        String kernels = CudaDriver.unavailableReason();
        String inUse = null, why = kernels == null ? null : "no usable CUDA device";
        if (kernels == null) {
            try {
                inUse = CudaBackend.librariesInUse();
            } catch (BackendUnavailableException e) { // e.g. -Dnncompress.cuda.blas=cublas where it does not load
                why = e.getMessage();
            }
        }
        return new DevicesReport(CudaDevices.list(), kernels, dirs, VendorLibraries.probe(dirs), inUse, why, VendorRoutes.probe());
    }

    void print(PrintWriter out, boolean json) {
        if (json) printJson(out); else printText(out);
    }

    private void printText(PrintWriter out) {
        List<CudaDriver.DeviceInfo> devices = listing.devices();
        if (devices.isEmpty()) {
            out.println("CUDA: no device: " + listing.unavailableReason());
        } else {
            out.printf(Locale.ROOT, "CUDA driver %s: %d device%s%n", listing.driverVersion(), devices.size(), devices.size() == 1 ? "" : "s");
            for (CudaDriver.DeviceInfo d : devices) {
                out.printf(Locale.ROOT, "  %d  %s  compute capability %s  %s  %d SMs%n", d.ordinal(), d.name(), d.computeCapability(),
                        CliSupport.bytes(d.totalMemoryBytes()), d.multiprocessors());
                if (d.emulated()) {
                    out.println("     EMULATED: our kernels run on the CPU (cuda-kernels/emu/driver), not on a GPU; this proves logic, not speed");
                }
            }
        }
        out.println("nncompress kernels: " + (kernelsReason == null ? "load on " + CudaDriver.get().info().name() : "unavailable: " + kernelsReason));
        out.println("float GEMM and convolution: " + (inUse != null ? inUse : "none chosen: " + inUseReason));
        out.println("vendor routes, in the order tried (then our own kernels):");
        int rw = routes.stream().mapToInt(r -> r.role().length() + 1 + r.label().length()).max().orElse(0);
        for (VendorRoutes.Route r : routes) {
            out.printf(Locale.ROOT, "  %-" + rw + "s  %s%n", r.role() + " " + r.label(), r.loads() ? "loads" : "unavailable: " + r.failure());
        }
        out.println("vendor libraries (searched LD_LIBRARY_PATH, then the system folders):");
        int w = libraries.stream().mapToInt(l -> l.name().length()).max().orElse(0);
        for (VendorLibraries.Probe p : libraries) {
            String what = !p.found() ? "not found"
                    : p.loaded() ? p.file() + " (loads)"
                    : p.file() + " (found, does not load: " + p.error() + ")";
            out.printf(Locale.ROOT, "  %-" + w + "s  %s%n", p.name(), what);
        }
    }

    private void printJson(PrintWriter out) {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> cuda = new LinkedHashMap<>();
        cuda.put("available", !listing.devices().isEmpty());
        cuda.put("reason", listing.unavailableReason());
        cuda.put("driver_version", listing.driverVersion());
        List<Map<String, Object>> devices = new ArrayList<>();
        for (CudaDriver.DeviceInfo d : listing.devices()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ordinal", d.ordinal());
            m.put("name", d.name());
            m.put("compute_capability", d.computeCapability());
            m.put("memory_bytes", d.totalMemoryBytes());
            m.put("multiprocessors", d.multiprocessors());
            m.put("emulated", d.emulated());
            devices.add(m);
        }
        cuda.put("devices", devices);
        root.put("cuda", cuda);
        Map<String, Object> kernels = new LinkedHashMap<>();
        kernels.put("usable", kernelsReason == null);
        kernels.put("reason", kernelsReason);
        root.put("kernels", kernels);
        Map<String, Object> routes = new LinkedHashMap<>();
        routes.put("in_use", inUse);
        routes.put("reason", inUseReason);
        root.put("gemm_and_conv", routes);
        List<Map<String, Object>> tried = new ArrayList<>();
        for (VendorRoutes.Route r : this.routes) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", r.role());
            m.put("name", r.label());
            m.put("property_value", r.word());
            m.put("loads", r.loads());
            m.put("reason", r.failure());
            tried.add(m);
        }
        root.put("vendor_routes", tried);
        List<Map<String, Object>> libs = new ArrayList<>();
        for (VendorLibraries.Probe p : libraries) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p.name());
            m.put("file", p.found() ? p.file().toString() : null);
            m.put("loaded", p.loaded());
            m.put("error", p.error());
            libs.add(m);
        }
        root.put("libraries", libs);
        root.put("searched", searched.stream().map(Path::toString).toList());
        try {
            out.println(JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValueAsString(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
