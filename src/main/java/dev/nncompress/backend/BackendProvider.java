package dev.nncompress.backend;

/**
 * A way to make a {@link Backend}, found through {@link java.util.ServiceLoader} (listed in
 * {@code META-INF/services/dev.nncompress.backend.BackendProvider}). {@link #unavailableReason()} must
 * never throw, whatever native library is missing: it is how "auto" explains its choice.
 */
public interface BackendProvider {
    /** The name users pass to --backend. */
    String name();

    /** Higher wins under "auto" among available providers (cuda 100, cpu 50, reference 0). */
    int rank();

    /** Null when the backend can be created here, else one line saying why not. */
    String unavailableReason();

    Backend create();

    /**
     * True when the backend runs on the Java heap alone: no native library to load, nothing logged.
     * Such a backend can read parameters for inspection ({@code info}) without touching the machine's libraries.
     */
    default boolean heapOnly() { return false; }
}
