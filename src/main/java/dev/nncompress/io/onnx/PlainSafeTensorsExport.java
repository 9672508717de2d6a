package dev.nncompress.io.onnx;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.SafeTensors;
import dev.nncompress.io.TensorRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code export --format safetensors-plain}: only the weights, dense F32, under the names the ONNX export gives
 * them ({@link OnnxExporter#parameterNames}: PyTorch's state-dict names for our models, the ONNX names an imported
 * model came with), in a safetensors file with no nncompress metadata but {@code format: pt} (what
 * {@code safetensors.torch.save_file} writes), so that {@code safetensors.torch.load_file} gives a state dict.
 * No graph: the architecture is the reader's (or the ONNX export's). Our sparse layouts are not used.
 */
public final class PlainSafeTensorsExport {
    /** The metadata a PyTorch state dict saved by the safetensors package carries. */
    public static final Map<String, String> METADATA = Map.of("format", "pt");

    private PlainSafeTensorsExport() {}

    /** The tensors the file holds, by written name, in the graph's order. */
    public static Map<String, TensorRecord> tensors(Graph graph, Map<String, String> onnxNames) {
        Map<String, String> names = OnnxExporter.parameterNames(graph, onnxNames, new ExportBuilder(OnnxExporter.DEFAULT_OPSET));
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        for (Parameter p : graph.params().values()) {
            out.put(names.get(p.name()), TensorRecord.ofFloats(p.value().toFloatArray(), OnnxExporter.longs(p.value().shape())));
        }
        return out;
    }

    /** Writes the weights of {@code graph} to {@code file} atomically. */
    public static void write(Graph graph, Map<String, String> onnxNames, Path file) {
        try {
            SafeTensors.write(file, tensors(graph, onnxNames), METADATA);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
