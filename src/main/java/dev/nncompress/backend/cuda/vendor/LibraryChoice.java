package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.BackendUnavailableException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The rule that picks a vendor library or our own kernels for one role (BLAS, DNN), kept apart from
 * loading anything so that it is tested without a GPU. The role has an ordered list of vendor
 * candidates (BLAS: cuBLAS 13 through bytedeco, then JCublas; DNN: cuDNN 9 through bytedeco, then
 * JCudnn where the build has it). The system property {@code property} says {@code auto} (the
 * default: the first candidate that loads and opens, else ours, each refusal with its reason), one
 * candidate's word ({@code cublas}, {@code jcublas}, ...: that one or fail with the reason) or
 * {@code own}.
 */
public final class LibraryChoice {
    private LibraryChoice() {}

    /** What the property asks for: {@code auto}, {@code own} or one candidate's word. */
    public static final String AUTO = "auto", OWN = "own";

    /** Opens the vendor library; any Throwable is a reason to fall back. */
    public interface Opener<T> {
        T open() throws Exception;
    }

    /**
     * One vendor route.
     *
     * @param word        its value of the property ("cublas")
     * @param label       names it in reasons ("cuBLAS 13")
     * @param loadFailure null when its JNI library loads, else why not (asked only when needed)
     * @param opener      opens its handle once the library loaded
     * @param name        the opened library's own description, with its version, for logs
     */
    public record Candidate<T>(String word, String label, Supplier<String> loadFailure, Opener<? extends T> opener,
                        Function<? super T, String> name) {}

    /**
     * {@code vendor} is the opened library, or null when ours is used; {@code summary} is one line for
     * the log and {@code info --devices}: the vendor's name, or ours, followed by why each candidate
     * before it was refused.
     */
    public record Choice<T>(T vendor, String summary) {}

    /** {@link #AUTO}, {@link #OWN} or a candidate's word; a bad value names the property and the allowed ones. */
    public static String parse(String property, String value, List<String> vendorWords) {
        String v = value == null ? AUTO : value.strip().toLowerCase(Locale.ROOT);
        if (v.isEmpty()) return AUTO;
        if (v.equals(AUTO) || v.equals(OWN) || vendorWords.contains(v)) return v;
        throw new IllegalArgumentException("-D" + property + "=" + value + ": expected " + AUTO + ", " + String.join(", ", vendorWords)
                + " or " + OWN);
    }

    /**
     * @param mode    from {@link #parse}
     * @param ownName names our route ("own gemm_f32")
     */
    public static <T> Choice<T> pick(String property, String mode, String ownName, List<Candidate<T>> candidates) {
        if (mode.equals(OWN)) return new Choice<>(null, ownName + " (-D" + property + "=own)");
        List<String> refusals = new ArrayList<>();
        for (Candidate<T> c : candidates) {
            if (!mode.equals(AUTO) && !mode.equals(c.word())) continue;
            String failure = c.loadFailure().get();
            T opened = null;
            if (failure == null) {
                try {
                    opened = c.opener().open();
                } catch (Throwable t) {
                    failure = BytedecoCuda.describe(t);
                }
            }
            if (opened != null) {
                String name = c.name().apply(opened);
                return new Choice<>(opened, refusals.isEmpty() ? name : name + " (" + String.join("; ", refusals) + ")");
            }
            if (!mode.equals(AUTO)) {
                throw new BackendUnavailableException("-D" + property + " asks for " + c.label() + ", which is unavailable: " + failure);
            }
            refusals.add(c.label() + " unavailable: " + failure);
        }
        return new Choice<>(null, ownName + (refusals.isEmpty() ? "" : " (" + String.join("; ", refusals) + ")"));
    }
}
