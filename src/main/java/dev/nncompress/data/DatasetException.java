package dev.nncompress.data;

/**
 * A dataset file is missing, truncated or not in the expected format. Unchecked because callers
 * (CLI commands, tests) can do nothing sensible but report it; the message always names the file.
 */
public class DatasetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
