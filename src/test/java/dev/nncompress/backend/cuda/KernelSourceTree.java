package dev.nncompress.backend.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * cuda-kernels/ read as scripts/build-cuda.sh packs it beside the fatbin: each kernel family (*.cu)
 * with the shared headers (*.cuh) ahead of it, because a family's parameter lists may use a header's
 * macros (sparse_conv.cu and sparse_conv_csr.cu take NNC_SC_GEO_PARAMS from sparse_conv_common.cuh).
 */
public final class KernelSourceTree {
    private KernelSourceTree() {}

    /** Each kernel file, in name order, mapped to every header's text followed by its own. */
    public static Map<Path, String> families() throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(Path.of("cuda-kernels"))) {
            files = listing.sorted().toList();
        }
        StringBuilder headers = new StringBuilder();
        for (Path f : files) {
            if (f.toString().endsWith(".cuh")) headers.append(Files.readString(f)).append('\n');
        }
        Map<Path, String> out = new LinkedHashMap<>();
        for (Path f : files) {
            if (f.toString().endsWith(".cu")) out.put(f, headers + Files.readString(f));
        }
        return out;
    }
}
