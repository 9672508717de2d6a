package dev.nncompress.io.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX external data (issue 18): the export writes its tensors into {@code MODEL.onnx.data} when asked (or when they would
 * pass protobuf's 2 GiB), ONNX Runtime loads that pair and computes our logits, the importer reads it back; and every
 * external-data entry a hostile file could bend (location, offset, length, keys) is refused in one line naming the file.
 */
class ExternalDataTest {
    @TempDir Path tmp;
    private final Backend ref = new ReferenceBackend();

    @AfterEach
    void close() { ref.close(); }

    /** lenet5 exported with external data to {@code tmp/lenet.onnx}. */
    private Path exported(Graph g) {
        Path file = tmp.resolve("lenet.onnx");
        long side = OnnxExporter.write(OnnxExporter.export(g, Map.of(), OnnxExporter.DEFAULT_OPSET), file, true);
        assertEquals(side, sizeOf(tmp.resolve("lenet.onnx.data")));
        return file;
    }

    @Test
    void exportWithExternalDataRunsInOnnxRuntimeAndImportsBack() throws Exception {
        Graph g = Models.byName("lenet5", ref, 3);
        Path file = exported(g);
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(file));
        long external = m.getGraph().getInitializerList().stream().filter(t -> t.getDataLocation() == 1).count();
        assertTrue(external >= 4, "the weights go to the side file: " + external);
        for (TensorProto t : m.getGraph().getInitializerList()) {
            if (t.getDataLocation() != 1) continue;
            assertFalse(t.hasRawData(), t.getName());
            assertEquals("lenet.onnx.data", value(t, "location"));
            assertEquals(0, Long.parseLong(value(t, "offset")) % ExternalDataWriter.ALIGNMENT, t.getName());
        }
        assertTrue(Files.size(file) < 4096, "the model file holds the graph only: " + Files.size(file));

        float[] x = OrtRun.images(g, 4, 9);
        float[] ours = OrtRun.ours(g, ref, x, 4);
        float[][] theirs = ortFromFile(file, x, OrtRun.batchShape(g, 4));
        assertTrue(OnnxFixtures.maxRelativeError(ours, theirs) < 1e-4, "ONNX Runtime reads the side file");

        OnnxImporter.Imported back = OnnxImporter.importFile(file, ref);
        assertArrayEquals(ours, OrtRun.ours(back.graph(), ref, x, 4), "round trip through external data");
    }

    @Test
    void largeModelsGoExternalByThemselves() {
        ModelProto m = OnnxExporter.export(Models.byName("lenet5", ref, 3), Map.of(), OnnxExporter.DEFAULT_OPSET);
        long bytes = m.getGraph().getInitializerList().stream().mapToLong(t -> t.getRawData().size()).sum();
        assertTrue(ExternalDataWriter.needed(m, bytes - 1));
        assertFalse(ExternalDataWriter.needed(m, bytes));
        assertFalse(ExternalDataWriter.needed(m, OnnxExporter.MAX_INLINE_BYTES));
    }

    // ---- hostile external data: one line naming the file, never a read outside the model's folder ----

    /** The exported file with {@code edit} applied to its first external initializer. */
    private Path edited(Consumer<TensorProto.Builder> edit) throws IOException {
        Path file = exported(Models.byName("lenet5", ref, 3));
        ModelProto.Builder m = ModelProto.parseFrom(Files.readAllBytes(file)).toBuilder();
        edit.accept(m.getGraphBuilder().getInitializerBuilderList().stream().filter(t -> t.getDataLocation() == 1).findFirst().orElseThrow());
        Files.write(file, m.build().toByteArray());
        return file;
    }

    private static void set(TensorProto.Builder t, String key, String value) {
        for (int i = 0; i < t.getExternalDataCount(); i++) {
            if (t.getExternalData(i).getKey().equals(key)) {
                t.setExternalData(i, StringStringEntryProto.newBuilder().setKey(key).setValue(value));
                return;
            }
        }
        t.addExternalData(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
    }

    private void refused(Consumer<TensorProto.Builder> edit, String expected) throws IOException {
        Path file = edited(edit);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.importFile(file, ref));
        assertTrue(e.getMessage().startsWith(file + ": initializer ") && e.getMessage().contains(expected) && !e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void locationsOutsideTheModelsFolderAreRefused() throws IOException {
        String plain = "is not a plain file name in the model's folder";
        refused(t -> set(t, "location", "/etc/passwd"), plain);
        refused(t -> set(t, "location", "../lenet.onnx.data"), plain);
        refused(t -> set(t, "location", "sub/lenet.onnx.data"), plain);
        refused(t -> set(t, "location", ".."), plain);
        refused(t -> set(t, "location", "C:\\x.data"), plain);
        refused(t -> set(t, "location", ""), plain);
        refused(t -> set(t, "location", "missing.data"), "is not a file next to the model");
        refused(t -> t.clearExternalData(), "has external data without a location");

        Path outside = Files.createDirectories(tmp.resolve("elsewhere")).resolve("secret.data");
        Files.write(outside, new byte[1 << 16]);
        Files.createSymbolicLink(tmp.resolve("link.data"), outside);
        refused(t -> set(t, "location", "link.data"), "is a link out of the model's folder");
        Files.createDirectories(tmp.resolve("dir.data"));
        refused(t -> set(t, "location", "dir.data"), "is not a file next to the model");
    }

    @Test
    void offsetsAndLengthsAreCheckedBeforeAnyRead() throws IOException {
        refused(t -> set(t, "offset", "1000000000"), "runs past the end of 'lenet.onnx.data'");
        refused(t -> set(t, "offset", "-4"), "external data offset '-4' is not a non-negative integer");
        refused(t -> set(t, "offset", "0x10"), "is not a non-negative integer");
        refused(t -> set(t, "offset", "99999999999999999999"), "is not a non-negative integer");
        refused(t -> set(t, "offset", "9223372036854775807"), "runs past the end");
        refused(t -> set(t, "length", "4"), "external data length 4, but shape");
        refused(t -> t.addDims(1000), "needs"); // declared shape larger than the stored length
        refused(t -> t.setDataType(10), "has data type FLOAT16");
        refused(t -> t.setDataType(7).clearDims().addDims(1 << 14).addDims(1 << 14), "more than one tensor can hold"); // 2^28 INT64: 2 GiB
        refused(t -> set(t, "sha256", "x"), "has external_data key 'sha256'");
        refused(t -> t.addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0")), "has external_data key offset twice");
        refused(t -> t.setDataLocation(0), "but data_location 0");
        refused(t -> t.setRawData(com.google.protobuf.ByteString.copyFrom(new byte[8])), "has external data and inline data");
    }

    @Test
    void theLastTensorEndingExactlyAtTheEndOfTheFileIsRead() throws IOException {
        // the side file cut to end where its last tensor ends: still whole; one byte less is refused
        Path file = exported(Models.byName("lenet5", ref, 3));
        Path side = tmp.resolve("lenet.onnx.data");
        byte[] all = Files.readAllBytes(side);
        OnnxImporter.importFile(file, ref);
        Files.write(side, java.util.Arrays.copyOf(all, all.length - 1));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.importFile(file, ref));
        assertTrue(e.getMessage().contains("runs past the end of 'lenet.onnx.data' (" + (all.length - 1) + " bytes)"), e.getMessage());
    }

    private static String value(TensorProto t, String key) {
        return t.getExternalDataList().stream().filter(e -> e.getKey().equals(key)).findFirst().orElseThrow().getValue();
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** ONNX Runtime loading the model from its path, so that it finds the side file next to it. */
    private static float[][] ortFromFile(Path file, float[] x, long[] shape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
             OrtSession s = env.createSession(file.toString(), opts);
             OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
             OrtSession.Result r = s.run(Map.of(s.getInputNames().iterator().next(), t))) {
            float[][] out = (float[][]) r.get(0).getValue();
            return out;
        }
    }

}
