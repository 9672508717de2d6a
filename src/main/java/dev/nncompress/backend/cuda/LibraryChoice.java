package dev.nncompress.backend.cuda;

import dev.nncompress.backend.BackendUnavailableException;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * The rule that picks a vendor library or our own kernels for one role (BLAS, DNN), kept apart from
 * loading anything so that it is tested without a GPU. The system property {@code property} says
 * {@code auto} (the default: the vendor library when it loads, else ours, with the reason),
 * the vendor's word ({@code cublas}, {@code cudnn}: that or fail with the reason) or {@code own}.
 */
final class LibraryChoice {
    private LibraryChoice() {}

    enum Mode { AUTO, VENDOR, OWN }

    /** Opens the vendor library; any Throwable is a reason to fall back. */
    interface Opener<T> {
        T open() throws Exception;
    }

    /**
     * {@code vendor} is the opened library, or null when ours is used; {@code summary} is one line for
     * the log and {@code info --devices}: the vendor's name, or why ours runs.
     */
    record Choice<T>(T vendor, String summary) {}

    static Mode parse(String property, String value, String vendorWord) {
        String v = value == null ? "auto" : value.strip().toLowerCase(Locale.ROOT);
        if (v.equals("auto") || v.isEmpty()) return Mode.AUTO;
        if (v.equals(vendorWord)) return Mode.VENDOR;
        if (v.equals("own")) return Mode.OWN;
        throw new IllegalArgumentException("-D" + property + "=" + value + ": expected auto, " + vendorWord + " or own");
    }

    /**
     * @param loadFailure null when the vendor's JNI library loads, else why not (asked only when needed)
     * @param vendorName  names the vendor in reasons ("cuBLAS")
     * @param ownName     names our route ("own gemm_f32")
     * @param name        the opened library's own description (its version)
     */
    static <T> Choice<T> pick(String property, Mode mode, String vendorName, String ownName, Supplier<String> loadFailure,
                              Opener<T> opener, java.util.function.Function<T, String> name) {
        if (mode == Mode.OWN) return new Choice<>(null, ownName + " (-D" + property + "=own)");
        String failure = loadFailure.get();
        T opened = null;
        if (failure == null) {
            try {
                opened = opener.open();
            } catch (Throwable t) {
                failure = BytedecoCuda.describe(t);
            }
        }
        if (opened != null) return new Choice<>(opened, name.apply(opened));
        if (mode == Mode.VENDOR) {
            throw new BackendUnavailableException("-D" + property + " asks for " + vendorName + ", which is unavailable: " + failure);
        }
        return new Choice<>(null, ownName + " (" + vendorName + " unavailable: " + failure + ")");
    }
}
