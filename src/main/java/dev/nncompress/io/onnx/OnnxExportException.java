package dev.nncompress.io.onnx;

import dev.nncompress.io.ModelFormatException;

/**
 * A model that cannot be written as ONNX at the asked opset: an op with no ONNX form, or one (or the form of
 * it we need) newer than the opset. The message names our node, its op and the ONNX operator or opset. A
 * {@link ModelFormatException} so that the CLI reports it as a failure of the input (exit 1), not of usage.
 */
public final class OnnxExportException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    public OnnxExportException(String message) {
        super(message);
    }
}
