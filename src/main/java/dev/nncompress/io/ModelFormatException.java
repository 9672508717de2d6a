package dev.nncompress.io;

/**
 * A model file is malformed: bad header, inconsistent offsets, unknown dtype and so on. The
 * message names the file. Unchecked like {@code DatasetException}: a corrupt file cannot be
 * recovered from, only reported.
 */
public class ModelFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
