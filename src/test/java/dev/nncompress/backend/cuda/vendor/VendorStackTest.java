package dev.nncompress.backend.cuda.vendor;

import jcuda.JCudaVersion;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real candidate lists of {@link VendorStack}: their order, their words and labels, and that each
 * one's loading fails cleanly, in one line naming the missing library, where the library is absent
 * (as here: no driver, no cuBLAS 12/13, no cuDNN). Where a library is present the route must load.
 */
class VendorStackTest {
    @Test
    void blasIsCublas13ThenJcublasThenOurs() {
        var c = VendorStack.blasCandidates(null);
        assertEquals(List.of("cublas", "jcublas"), c.stream().map(LibraryChoice.Candidate::word).toList());
        assertEquals(List.of("cuBLAS 13", "JCublas " + JCudaVersion.get()), c.stream().map(LibraryChoice.Candidate::label).toList());
    }

    @Test
    void dnnIsCudnn9ThenJcudnnThenOurs() {
        var c = VendorStack.dnnCandidates(null);
        assertEquals(List.of("cudnn", "jcudnn"), c.stream().map(LibraryChoice.Candidate::word).toList());
        assertEquals(List.of("cuDNN 9", "JCudnn"), c.stream().map(LibraryChoice.Candidate::label).toList());
    }

    @Test
    void jcublasFailsCleanlyNamingItsCublasWhenThatIsAbsent() {
        String why = JcublasBlas.loadFailure();
        String soname = "libcublas.so." + JCudaVersion.get().split("\\.")[0]; // JCublas 12.6 links .so.12, 11.7 .so.11
        boolean present = VendorLibraries.searchPath().stream().anyMatch(d -> Files.exists(d.resolve(soname)));
        if (present) {
            assertNull(why, "JCublas should load where " + soname + " is present");
        } else {
            assertEquals(soname + " not found", why);
        }
        assertEquals(why, JcublasBlas.loadFailure(), "the second ask must give the same reason, not 'Could not initialize class'");
    }

    @Test
    void jcudnnIsNotInTheDefaultBuildAndSaysSo() {
        boolean built;
        try {
            Class.forName(JcudnnRoute.CLASS);
            built = true;
        } catch (ClassNotFoundException e) {
            built = false;
        }
        String why = JcudnnRoute.loadFailure();
        if (!built) assertEquals("not in this build (mvn -Pjcuda11 compiles it)", why);
        else if (why != null) assertFalse(why.contains("\n"), why);
    }

    @Test
    void withNothingLoadingAutoRunsOursAndSaysWhyForEachRouteInOneLine() {
        var blas = VendorStack.blasCandidates(null);
        var routes = VendorRoutes.probe();
        assertEquals(4, routes.size());
        for (VendorRoutes.Route r : routes) if (!r.loads()) assertFalse(r.failure().contains("\n"), r.toString());
        if (routes.get(0).loads() || routes.get(1).loads()) return; // a machine with cuBLAS: the GPU tests cover it
        var choice = LibraryChoice.pick(VendorStack.BLAS_PROPERTY, "auto", "own gemm_f32", blas);
        assertNull(choice.vendor());
        assertEquals("own gemm_f32 (cuBLAS 13 unavailable: " + routes.get(0).failure() + "; " + routes.get(1).label() + " unavailable: "
                + routes.get(1).failure() + ")", choice.summary());
        assertTrue(choice.summary().contains("libcublas.so.12 not found") || !JCudaVersion.get().startsWith("12"), choice.summary());
    }
}
