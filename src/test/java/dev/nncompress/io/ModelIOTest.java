package dev.nncompress.io;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelIOTest {
    private final Backend backend = new ReferenceBackend();
    @TempDir Path dir;

    @Test
    void roundTripIsExactForEveryBuiltInModel() {
        for (String name : Models.NAMES) {
            Graph g = Models.byName(name, backend, 5);
            Path f = dir.resolve(name + ".safetensors");
            ModelIO.save(g, f, Provenance.collect(Map.of("seed", "5")));
            ModelIO.LoadedModel m = ModelIO.load(f, backend);
            assertEquals(g.nodes(), m.graph().nodes());
            assertEquals(g.output(), m.graph().output());
            assertEquals(g.inputShape(), m.graph().inputShape());
            assertEquals(g.params().keySet(), m.graph().params().keySet());
            for (Parameter p : g.params().values()) {
                Parameter q = m.graph().param(p.name());
                assertEquals(p.trainable(), q.trainable(), p.name());
                assertArrayEquals(p.value().toFloatArray(), q.value().toFloatArray(), 0f, p.name());
            }
            assertEquals("5", m.provenance().get("seed"));
            assertTrue(m.provenance().containsKey("git_commit"));
        }
    }

    @Test
    void truncatedFileIsAClearError() throws Exception {
        Path f = dir.resolve("s.safetensors");
        ModelIO.save(Models.student(backend, 0), f, Map.of());
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 100));
        var e = assertThrows(ModelFormatException.class, () -> ModelIO.load(f, backend));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void missingFileAndForeignSafetensorsAreClearErrors() throws Exception {
        var e = assertThrows(ModelFormatException.class, () -> ModelIO.load(dir.resolve("none.safetensors"), backend));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        Path foreign = dir.resolve("foreign.safetensors");
        SafeTensors.write(foreign, Map.of("w", TensorRecord.ofFloats(new float[] {1, 2})), Map.of());
        e = assertThrows(ModelFormatException.class, () -> ModelIO.load(foreign, backend));
        assertTrue(e.getMessage().contains("not written by nncompress"), e.getMessage());
    }

    @Test
    void mismatchedShapeNaNAndStrayTensorsAreRejected() throws Exception {
        Path f = dir.resolve("s.safetensors");
        ModelIO.save(Models.student(backend, 0), f, Map.of());
        SafeTensorsFile st = SafeTensors.read(f);

        Map<String, TensorRecord> wrongShape = new LinkedHashMap<>(st.tensors());
        wrongShape.put("fc1.weight", TensorRecord.ofFloats(new float[64 * 783], 64, 783));
        assertRejected(f, wrongShape, st.metadata(), "fc1");

        Map<String, TensorRecord> nan = new LinkedHashMap<>(st.tensors());
        float[] b = st.tensor("fc2.bias").toFloats();
        b[3] = Float.NaN;
        nan.put("fc2.bias", TensorRecord.ofFloats(b, 10));
        assertRejected(f, nan, st.metadata(), "NaN");

        Map<String, TensorRecord> stray = new LinkedHashMap<>(st.tensors());
        stray.put("ghost.weight", TensorRecord.ofFloats(new float[] {1}));
        assertRejected(f, stray, st.metadata(), "ghost.weight");

        Map<String, TensorRecord> missing = new LinkedHashMap<>(st.tensors());
        missing.remove("conv2.weight");
        assertRejected(f, missing, st.metadata(), "conv2.weight");
    }

    private void assertRejected(Path original, Map<String, TensorRecord> tensors, Map<String, String> meta, String mention) throws Exception {
        Path bad = dir.resolve("bad.safetensors");
        SafeTensors.write(bad, copy(tensors), meta);
        var e = assertThrows(ModelFormatException.class, () -> ModelIO.load(bad, backend));
        assertTrue(e.getMessage().contains(mention) && e.getMessage().contains(bad.toString()), e.getMessage());
        assertFalse(original.equals(bad));
    }

    /** Detach from the memory-mapped source so the target can be rewritten safely. */
    private static Map<String, TensorRecord> copy(Map<String, TensorRecord> in) {
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        in.forEach((k, v) -> {
            ByteBuffer bb = ByteBuffer.allocate((int) v.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            bb.put(v.data().duplicate()).flip();
            out.put(k, new TensorRecord(v.dtype(), v.shape(), bb));
        });
        return out;
    }

    @Test
    void savingNaNWeightsIsRefusedAndLeavesNoFile() {
        Graph g = Models.student(backend, 0);
        float[] w = g.param("fc2.bias").value().toFloatArray();
        w[0] = Float.NaN;
        g.param("fc2.bias").setValue(backend.fromFloats(w, g.param("fc2.bias").value().shape()));
        Path f = dir.resolve("nan.safetensors");
        assertThrows(IllegalArgumentException.class, () -> ModelIO.save(g, f, Map.of()));
        assertFalse(Files.exists(f));
    }
}
