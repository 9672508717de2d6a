package dev.nncompress.backend;

/** The requested backend cannot run here; the message says why. */
public class BackendUnavailableException extends RuntimeException {
    public BackendUnavailableException(String message) { super(message); }
}
