package dev.nncompress.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.SafeTensors;
import dev.nncompress.io.SafeTensorsFile;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.models.Models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Model files made hostile on purpose: a valid file written by nncompress (the built-in student as float,
 * pruned float with bitmask and N:M tensors, or int8), then its graph JSON, tensors or metadata edited,
 * then written again as ordinary safetensors. What makes each file hostile is the edit, written out in
 * the test that uses it.
 */
final class HostileModels {
    static final String GRAPH_KEY = ModelIO.GRAPH_KEY;
    private static final JsonMapper JSON = new JsonMapper();

    private final Path dir;
    private final Map<String, TensorRecord> floatTensors;
    private final Map<String, String> floatMeta;
    private final Map<String, TensorRecord> int8Tensors;
    private final Map<String, String> int8Meta;
    private final Map<String, TensorRecord> prunedTensors;
    private final Map<String, String> prunedMeta;

    /** Writes the valid originals into {@code dir} and keeps copies of their contents to edit. */
    HostileModels(Path dir) {
        this.dir = dir;
        try (Backend ref = new ReferenceBackend()) {
            Graph student = Models.student(ref, 7);
            Path f = dir.resolve("valid-student.safetensors");
            ModelIO.save(student, f, Map.of());
            SafeTensorsFile st = SafeTensors.read(f);
            floatTensors = copy(st.tensors());
            floatMeta = new LinkedHashMap<>(st.metadata());

            Path pruned = dir.resolve("valid-student-pruned.safetensors");
            ModelIO.save(pruned(student, ref), pruned, Map.of());
            SafeTensorsFile sp = SafeTensors.read(pruned);
            prunedTensors = copy(sp.tensors());
            prunedMeta = new LinkedHashMap<>(sp.metadata());

            Graph prepared = CalibFixtures.prepared(student);
            Dataset images = CalibFixtures.noise(4, 3);
            QuantPlan plan = new Calibrator("minmax", 4, 4, null).calibrate(QuantTargets.of(prepared), images, ref);
            Path q = dir.resolve("valid-student-int8.safetensors");
            Int8ModelIO.save(Int8Converter.convert(prepared, plan, Map.of("source", "test")), q, Map.of());
            SafeTensorsFile sq = SafeTensors.read(q);
            int8Tensors = copy(sq.tensors());
            int8Meta = new LinkedHashMap<>(sq.metadata());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What an edit may change (mutable copies): the graph JSON (written back after the edit, unless the
     * edit put its own text under {@link #GRAPH_KEY} in {@code meta}), the tensors and the metadata.
     */
    record Parts(ObjectNode graph, Map<String, TensorRecord> tensors, Map<String, String> meta) {}

    /** The float student with {@code edit} applied, written to {@code name}. */
    Path floatModel(String name, Consumer<Parts> edit) { return write(name, floatTensors, floatMeta, edit); }

    /** The pruned student (fc1.weight stored as bitmask + values, conv2.weight as 2:4 N:M) with {@code edit} applied. */
    Path prunedModel(String name, Consumer<Parts> edit) { return write(name, prunedTensors, prunedMeta, edit); }

    /** The int8 student with {@code edit} applied, written to {@code name}. */
    Path int8Model(String name, Consumer<Parts> edit) { return write(name, int8Tensors, int8Meta, edit); }

    /** The float student with only its graph edited. */
    Path floatGraph(String name, Consumer<ObjectNode> edit) { return floatModel(name, p -> edit.accept(p.graph())); }

    private Path write(String name, Map<String, TensorRecord> tensors, Map<String, String> meta, Consumer<Parts> edit) {
        try {
            Map<String, String> m = new LinkedHashMap<>(meta);
            String original = m.get(GRAPH_KEY);
            Parts p = new Parts((ObjectNode) JSON.readTree(original), copy(tensors), m);
            edit.accept(p);
            if (original.equals(m.get(GRAPH_KEY))) m.put(GRAPH_KEY, p.graph().toString());
            Path f = dir.resolve(name);
            SafeTensors.write(f, p.tensors(), m);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The student with fc1 95% zeros (stored as a bitmask) and conv2 2:4 sparse (stored N:M). */
    private static Graph pruned(Graph g, Backend ref) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        g.params().forEach((k, p) -> {
            float[] v = p.value().toFloatArray();
            if (k.equals("fc1.weight")) for (int i = 0; i < v.length; i++) if (i % 20 != 0) v[i] = 0;
            if (k.equals("conv2.weight")) for (int i = 0; i < v.length; i++) if (i % 4 >= 2) v[i] = 0;
            params.put(k, new Parameter(k, ref.fromFloats(v, p.value().shape()), p.trainable()));
        });
        return new Graph(g.name(), g.inputShape(), g.nodes(), g.output(), params);
    }

    /** The node object named {@code name} in a graph JSON. */
    static ObjectNode node(ObjectNode graph, String name) {
        for (JsonNode n : graph.withArray("nodes")) if (name.equals(n.path("name").asText())) return (ObjectNode) n;
        throw new IllegalArgumentException("no node " + name + " in " + graph);
    }

    /** The attrs object of node {@code name}. */
    static ObjectNode attrs(ObjectNode graph, String name) { return node(graph, name).with("attrs"); }

    /** A JSON value from its text, for values Jackson's setters do not write (1e300 as typed). */
    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** {@code values} as an F32 tensor of {@code shape}. */
    static TensorRecord f32(float[] values, long... shape) { return TensorRecord.ofFloats(values, shape); }

    /** Heap copies: the originals are views on a memory-mapped file. */
    private static Map<String, TensorRecord> copy(Map<String, TensorRecord> in) {
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        in.forEach((k, r) -> {
            ByteBuffer src = r.data().duplicate();
            byte[] b = new byte[src.remaining()];
            src.get(b);
            out.put(k, TensorRecord.ofRaw(r.dtype(), r.shape().clone(), b));
        });
        return out;
    }
}
