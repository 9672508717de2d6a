package dev.nncompress.backend.cuda.vendor;

import java.util.ArrayList;
import java.util.List;

/**
 * The vendor routes {@link VendorStack} tries, in its order, and whether each one's JNI library (and
 * so its vendor library) loads on this machine, with the reason when not: for {@code info --devices},
 * which shows every refusal even where there is no device to open a handle on. Loading only: a route
 * that loads can still fail to open its handle, which the chosen libraries' line then says.
 */
public final class VendorRoutes {
    private VendorRoutes() {}

    /**
     * @param role    "BLAS" or "DNN"
     * @param label   "cuBLAS 13", "JCublas 12.6.0", ...
     * @param word    its value of {@code -Dnncompress.cuda.blas} / {@code .dnn}
     * @param failure null when it loads, else why not, in one line
     */
    public record Route(String role, String label, String word, String failure) {
        public boolean loads() { return failure == null; }
    }

    /** Every candidate of both roles, preferred first within each; our own kernels always follow. */
    public static List<Route> probe() {
        List<Route> out = new ArrayList<>();
        for (var c : VendorStack.blasCandidates(null)) out.add(new Route("BLAS", c.label(), c.word(), c.loadFailure().get()));
        for (var c : VendorStack.dnnCandidates(null)) out.add(new Route("DNN", c.label(), c.word(), c.loadFailure().get()));
        return out;
    }
}
