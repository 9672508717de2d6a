package dev.nncompress.io.onnx;

import dev.nncompress.util.RequestSpelling;

import java.util.Arrays;
import java.util.List;

/**
 * What a user asks of an export, whichever front end they use: {@code nncompress export}'s options and a recipe's
 * {@code stage: export} keys map onto these fields and are checked by {@link #validate}, one copy of the rules. The
 * recipe key of each setting is its {@link Field}'s lower-case name, the command's Java field its camelCase.
 *
 * @param format       {@code onnx} (the model; an int8 one as QDQ) or {@code safetensors-plain} (float weights only)
 * @param target       the runtime of an int8 export ({@link ExportTarget}), by name
 * @param externalData ONNX tensors in {@code FILE.data} beside the model file
 */
public record ExportRequest(String format, int opset, String target, boolean externalData) {
    public enum Field { FORMAT, OPSET, TARGET, EXTERNAL_DATA }

    public static final List<String> FORMATS = List.of("onnx", "safetensors-plain");

    public void validate(RequestSpelling<Field> sp) {
        if (!FORMATS.contains(format)) throw sp.error(Field.FORMAT, format + " is not one of: " + String.join(", ", FORMATS));
        if (opset < OnnxExporter.MIN_OPSET || opset > OnnxExporter.MAX_OPSET) {
            throw sp.error(Field.OPSET, opset + " is outside " + OnnxExporter.MIN_OPSET + ".." + OnnxExporter.MAX_OPSET + " (the opsets this export writes)");
        }
        if (Arrays.stream(ExportTarget.values()).noneMatch(t -> t.cliName().equals(target))) {
            throw sp.error(Field.TARGET, target + " is not one of: " + String.join(", ", Arrays.stream(ExportTarget.values()).map(ExportTarget::cliName).toList()));
        }
        if (externalData && !format.equals("onnx")) throw sp.error(Field.EXTERNAL_DATA, "applies to " + sp.set(Field.FORMAT, "onnx") + " only");
    }

    public ExportTarget runtime() { return ExportTarget.of(target); }
}
