package dev.nncompress.io.onnx;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.SafeTensors;
import dev.nncompress.io.SafeTensorsFile;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@code export --format safetensors-plain} read back by the safetensors reader: dense F32 weights under PyTorch's
 * state-dict names (ours) or an imported model's ONNX initializer names, the values bit for bit, no graph.
 */
class PlainSafeTensorsExportTest {
    @TempDir Path dir;
    private final Backend ref = new ReferenceBackend();

    @AfterEach
    void close() { ref.close(); }

    @Test
    void builtInWeightsUnderStateDictNames() throws IOException {
        Graph g = Models.byName("resnet8", ref, 2);
        Path f = dir.resolve("resnet8.safetensors");
        PlainSafeTensorsExport.write(g, Map.of(), f);
        SafeTensorsFile st = SafeTensors.read(f);
        assertEquals(List.copyOf(g.params().keySet()), List.copyOf(st.tensors().keySet()), "names and order");
        assertEquals(Map.of("format", "pt"), st.metadata());
        for (Parameter p : g.params().values()) {
            assertEquals("F32", st.tensor(p.name()).dtype(), p.name());
            assertArrayEquals(OnnxExporter.longs(p.value().shape()), st.tensor(p.name()).shape(), p.name());
            assertArrayEquals(p.value().toFloatArray(), st.tensor(p.name()).toFloats(), 0f, p.name());
        }
        // weights only: our model loader refuses it as a model
        assertThrows(ModelFormatException.class, () -> ModelIO.loadAny(f, ref));
    }

    /** An imported TorchScript export's weights come out under its initializer names with its values. */
    @Test
    void importedModelWeightsUnderTheirOnnxNames() throws IOException {
        Path onnx = OnnxFixtures.file("lenet_op17");
        OnnxImporter.Imported imp = OnnxImporter.importFile(onnx, ref);
        Path f = dir.resolve("lenet.safetensors");
        PlainSafeTensorsExport.write(imp.graph(), OnnxExporter.onnxNames(imp.provenance()), f);
        SafeTensorsFile st = SafeTensors.read(f);
        List<TensorProto> weights = OnnxFile.read(onnx).getGraph().getInitializerList().stream().filter(t -> t.getName().contains(".")).toList();
        assertEquals(weights.stream().map(TensorProto::getName).sorted().toList(), st.tensors().keySet().stream().sorted().toList());
        for (TensorProto t : weights) assertArrayEquals(TensorReader.read(t, "initializer").floats(), st.tensor(t.getName()).toFloats(), 0f, t.getName());
    }
}
