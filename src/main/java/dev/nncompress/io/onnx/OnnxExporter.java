package dev.nncompress.io.onnx;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.AtomicFiles;
import dev.nncompress.io.Provenance;
import dev.nncompress.io.onnx.proto.OnnxProto.GraphProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.nncompress.io.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorShapeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TypeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ValueInfoProto;
import dev.nncompress.tensor.Shape;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Our float {@link Graph} -> an ONNX model (issue 18): one image input {@code [N, C, H, W]} with a symbolic
 * batch dim {@value #BATCH_DIM}, one output, every parameter an initializer under its name (an imported model's
 * ONNX names from its provenance, {@link OnnxImporter#NAMES_KEY}; ours, PyTorch's state-dict names, otherwise),
 * each node as in {@link ExportOps}. Whatever the graph holds is written as is: a structurally pruned graph is the
 * smaller dense one, an unstructured or N:M pruned one dense with its zeros (the sparse file layouts are ours).
 * {@link #write} checks the result with {@link OnnxStructure} and writes it atomically.
 */
public final class OnnxExporter {
    public static final int MIN_OPSET = 13, MAX_OPSET = 21, DEFAULT_OPSET = 17;
    /** Most tensor bytes written inside the file (more go to external data): protobuf messages stop at 2 GiB; room is left for the graph. */
    static final long MAX_INLINE_BYTES = (1L << 31) - (64L << 20);
    /** The symbolic batch dim of the input and output. */
    public static final String BATCH_DIM = "N";

    private OnnxExporter() {}

    /** {@code graph} as an ONNX model at {@code opset}; {@code onnxNames} maps our node and parameter names to the names to write (may be empty). */
    public static ModelProto export(Graph graph, Map<String, String> onnxNames, int opset) { return export(graph, onnxNames, opset, FLOAT); }

    /**
     * How parameters and activations are written: the float export writes each parameter as a FLOAT initializer and
     * activations as computed; the QDQ export ({@link QdqExporter}) puts DequantizeLinear before int8 weights and a
     * QuantizeLinear/DequantizeLinear pair after each quantised activation.
     */
    interface Form {
        /** Writes parameter {@code p} so that value {@code name} (claimed) holds it. */
        void parameter(ExportBuilder b, Parameter p, String name);

        /** The value readers of tensor {@code tensor} (a node's name, or {@link Graph#INPUT}) read, {@code value} holding it as computed. */
        String activation(ExportBuilder b, String tensor, String value);
    }

    static final Form FLOAT = new Form() {
        @Override public void parameter(ExportBuilder b, Parameter p, String name) { b.floats(name, p.value().toFloatArray(), longs(p.value().shape())); }

        @Override public String activation(ExportBuilder b, String tensor, String value) { return value; }
    };

    static ModelProto export(Graph graph, Map<String, String> onnxNames, int opset, Form form) {
        checkOpset(opset);
        ExportBuilder b = new ExportBuilder(opset);
        Map<String, Shape> shapes = new HashMap<>(graph.inferShapes());
        shapes.put(Graph.INPUT, graph.inputShape());
        String input = onnxNames.getOrDefault(Graph.INPUT, Graph.INPUT);
        if (!b.claim(input)) input = b.fresh(Graph.INPUT);
        Map<String, String> inits = parameterNames(graph, onnxNames, b);
        for (Parameter p : graph.params().values()) form.parameter(b, p, inits.get(p.name()));
        ExportOps.Source src = new ExportOps.Source(graph, shapes, inits);
        Map<String, String> values = new HashMap<>(Map.of(Graph.INPUT, form.activation(b, Graph.INPUT, input)));
        Set<String> nodeNames = new HashSet<>();
        for (Node n : graph.nodes()) {
            List<String> in = n.inputs().stream().map(values::get).toList();
            String nodeName = onnxNames.getOrDefault(n.name(), n.name());
            for (int k = 2; !nodeNames.add(nodeName); k++) nodeName = onnxNames.getOrDefault(n.name(), n.name()) + "_" + k;
            values.put(n.name(), form.activation(b, n.name(), ExportOps.emit(b, n, in, src, nodeName)));
        }
        String out = values.get(graph.output());
        if (out.equals(input)) out = b.node("Identity", b.fresh("output"), List.of(input), b.fresh("output")); // a graph of Dropouts only
        GraphProto.Builder g = GraphProto.newBuilder().setName(graph.name()).addAllNode(b.nodes()).addAllInitializer(b.initializers())
                .addInput(valueInfo(input, graph.inputShape())).addOutput(valueInfo(out, shapes.get(graph.output())));
        return ModelProto.newBuilder().setIrVersion(irVersion(opset)).setProducerName("nncompress").setProducerVersion(Provenance.version())
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
    }

    /**
     * The name each parameter is exported under (our name -> written name, in the graph's order): the ONNX name
     * in {@code onnxNames} when there is one and it is still free in {@code taken}, else ours (made unique).
     */
    static Map<String, String> parameterNames(Graph graph, Map<String, String> onnxNames, ExportBuilder taken) {
        Map<String, String> names = new LinkedHashMap<>();
        for (Parameter p : graph.params().values()) {
            String wanted = onnxNames.getOrDefault(p.name(), p.name());
            names.put(p.name(), taken.claim(wanted) ? wanted : taken.fresh(p.name()));
        }
        return names;
    }

    /** A usage error unless {@code opset} is one the export writes. */
    public static void checkOpset(int opset) {
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new IllegalArgumentException("--opset " + opset + " is outside " + MIN_OPSET + ".." + MAX_OPSET + " (the opsets this export writes)");
        }
    }

    /**
     * The IR version that goes with {@code opset} (onnx/onnx docs/Versioning.md): the lowest that knows it, so
     * that older runtimes read the file.
     */
    static long irVersion(int opset) {
        if (opset <= 14) return 7;
        if (opset <= 18) return 8;
        if (opset <= 20) return 9;
        return 10;
    }

    /** The our-name -> ONNX-name map an imported model keeps in its provenance, or an empty map (built-in, trained here). */
    public static Map<String, String> onnxNames(Map<String, String> provenance) {
        String json = provenance == null ? null : provenance.get(OnnxImporter.NAMES_KEY);
        if (json == null || json.isEmpty()) return Map.of();
        try {
            Map<String, String> m = new JsonMapper().readValue(json, new TypeReference<Map<String, String>>() {});
            m.values().removeIf(v -> v == null || v.isEmpty());
            return m;
        } catch (IOException e) {
            // written by our importer; a hand-edited map only loses the names, the export stays right
            return Map.of();
        }
    }

    /** Adds {@code metadata} as the model's metadata_props (provenance: where the exported model came from). */
    public static ModelProto withMetadata(ModelProto m, Map<String, String> metadata) {
        ModelProto.Builder b = m.toBuilder();
        metadata.forEach((k, v) -> b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return b.build();
    }

    /**
     * Writes {@code m} to {@code file}, its tensors in the side file {@code file.data} ({@link ExternalDataWriter}) when
     * {@code externalData} is asked for or when they would not fit a protobuf message (more than {@link #MAX_INLINE_BYTES});
     * returns the side file's size, or -1 when everything is inside {@code file}. Checked and atomic as {@link #write(ModelProto, Path)}.
     */
    public static long write(ModelProto m, Path file, boolean externalData) {
        if (externalData || ExternalDataWriter.needed(m, MAX_INLINE_BYTES)) return ExternalDataWriter.write(m, file);
        write(m, file);
        return -1;
    }

    /** Checks {@code m} ({@link OnnxStructure}) and writes it to {@code file} atomically (nothing is left behind on failure). */
    public static void write(ModelProto m, Path file) {
        OnnxStructure.check(m);
        try {
            AtomicFiles.write(file, ch -> m.writeTo(java.nio.channels.Channels.newOutputStream(ch)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static ValueInfoProto valueInfo(String name, Shape sample) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH_DIM));
        for (int d : sample.dims()) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(DataTypes.FLOAT).setShape(s))).build();
    }

    static long[] longs(Shape s) {
        long[] d = new long[s.rank()];
        for (int i = 0; i < d.length; i++) d[i] = s.dim(i);
        return d;
    }
}
