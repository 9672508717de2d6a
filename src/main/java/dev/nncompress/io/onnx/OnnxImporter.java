package dev.nncompress.io.onnx;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.onnx.Value.Activation;
import dev.nncompress.io.onnx.proto.OnnxProto.GraphProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.util.Quoted;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * ONNX model -> our {@link Graph}. Each ONNX operator becomes one of our ops ({@link LayerMappers},
 * {@link DenseMappers}) or is computed at import ({@link ConstantFolder}) or dropped (Identity, and
 * Dropout, which is the identity in inference); anything else is an error naming the operator, its
 * node and the supported list. Initializers become the parameters of the node that reads them, under
 * our {@code <node>.<suffix>} names; node names come from the user's names ({@link NodeNames}) and the
 * exact ONNX names are kept in the provenance under {@value #NAMES_KEY}.
 *
 * <p>The file is untrusted: {@link OnnxFile} bounds its size and nesting ({@link ProtoScan} what its parse allocates), {@link TensorReader} checks
 * every tensor, {@link Attrs} every attribute, and the mappers every shape and value they rely on, before
 * the Graph is built; its own validation (attribute schemas, shape inference) is the second line. Every
 * problem is a one-line {@link ModelFormatException} starting with the file name.
 */
public final class OnnxImporter {
    /** Provenance key of the JSON map from our node and parameter names to the ONNX names they came from (where they differ). */
    public static final String NAMES_KEY = "onnx_names";
    /** The operators mapped onto our ops, folded, or dropped. */
    public static final List<String> SUPPORTED = java.util.stream.Stream.of(List.of("Add", "AveragePool", "BatchNormalization", "Cast", "Concat",
            "Constant", "Conv", "Dropout", "Flatten", "Gather", "Gemm", "GlobalAveragePool", "Identity", "MatMul", "MaxPool", "ReduceMean", "Relu", "Reshape",
            "Shape", "Squeeze", "Unsqueeze"),
            PointwiseMappers.OPS // pointwise family (issue 17)
            ).flatMap(List::stream).sorted().toList();

    private OnnxImporter() {}

    /** A graph imported from an ONNX file, with its provenance (source file, producer, opset, names, what was folded). */
    public record Imported(Graph graph, Map<String, String> provenance, int onnxNodes, Map<String, Integer> folded, int dropped) {}

    /** True for a path this importer should read: one ending in {@code .onnx} (any case). */
    public static boolean isOnnxPath(String spec) { return spec.toLowerCase(Locale.ROOT).endsWith(".onnx"); }

    /** Reads and imports {@code file}; parameters are created on {@code backend}. */
    public static Imported importFile(Path file, Backend backend) {
        ModelProto model = OnnxFile.read(file);
        try {
            OnnxFile.check(model); // the model-level checks before any external data is read
            model = ExternalDataReader.inline(model, file); // external data: read from the model's folder, checked
            return importModel(model, graphName(file), file.toString(), backend);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
    }

    static Imported importModel(ModelProto model, String graphName, String source, Backend backend) {
        OnnxFile.Header h = OnnxFile.check(model);
        GraphProto g = model.getGraph();
        Map<String, Integer> uses = new HashMap<>();
        for (NodeProto n : g.getNodeList()) for (String in : n.getInputList()) if (!in.isEmpty()) uses.merge(in, 1, Integer::sum);
        for (var o : g.getOutputList()) uses.merge(o.getName(), 1, Integer::sum);
        ImportContext ctx = new ImportContext(backend, h.opset(), h.fixedBatch(), uses, h.inputShape());
        try {
            for (TensorProto t : g.getInitializerList()) ctx.define(t.getName(), TensorReader.read(t, "initializer"));
            ctx.define(h.inputName(), new Activation(Graph.INPUT, h.inputShape()));
            Map<String, Integer> dropped = new TreeMap<>();
            for (int i = 0; i < g.getNodeCount(); i++) mapNode(g.getNode(i), i, ctx, dropped);
            String outName = g.getOutput(0).getName();
            Value out = ctx.get(outName, "graph output");
            if (!(out instanceof Activation a) || a.node().equals(Graph.INPUT)) {
                throw new IllegalArgumentException("graph output " + Quoted.of(outName) + " is " + (out instanceof Const ? "a constant" : "the input itself")
                        + "; it must be computed from the image");
            }
            dropped.forEach((op, k) -> ctx.countFolded(op + " (removed)"));
            int[] unused = new int[1];
            Graph graph = ctx.build(graphName, a.node(), unused);
            if (!h.inputName().equals(Graph.INPUT)) ctx.sourceNames().put(Graph.INPUT, h.inputName());
            return new Imported(graph, provenance(h, source, ctx, g.getNodeCount()), g.getNodeCount(), ctx.folded(), unused[0]);
        } catch (RuntimeException e) {
            ctx.discard();
            throw e;
        }
    }

    private static void mapNode(NodeProto n, int index, ImportContext ctx, Map<String, Integer> dropped) {
        String op = n.getOpType();
        String where = "node " + Quoted.of(n.getName().isEmpty() ? "#" + index : n.getName()) + " (" + Quoted.escape(op, 80) + ")";
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
            throw new IllegalArgumentException(where + " is from operator domain " + Quoted.of(n.getDomain()) + "; this importer reads the default ONNX domain only");
        }
        if (n.getInputCount() > OnnxLimits.MAX_NODE_INPUTS || n.getOutputCount() > OnnxLimits.MAX_NODE_OUTPUTS) {
            throw new IllegalArgumentException(where + " has " + n.getInputCount() + " inputs and " + n.getOutputCount() + " outputs, more than "
                    + OnnxLimits.MAX_NODE_INPUTS + " / " + OnnxLimits.MAX_NODE_OUTPUTS);
        }
        if (n.getOutputCount() < 1 || n.getOutput(0).isEmpty()) throw new IllegalArgumentException(where + " has no output");
        if (!SUPPORTED.contains(op)) {
            throw new IllegalArgumentException(where + " is not supported; this importer maps " + String.join(", ", SUPPORTED)
                    + " (more operators come with later slices of issue 17)");
        }
        List<Value> in = new ArrayList<>();
        for (String name : n.getInputList()) in.add(ctx.get(name, where));
        onlyFirstOutputUsed(n, where, ctx);
        String out = n.getOutput(0);
        boolean allConst = in.stream().allMatch(v -> v == null || v instanceof Const);
        Value result = switch (op) {
            case "Constant" -> fold(ctx, op, ConstantFolder.constant(n, where, out));
            case "Shape" -> fold(ctx, op, ConstantFolder.shape(n, where, first(in, where), shapeOf(first(in, where), ctx), out));
            case "Identity" -> {
                new Attrs(n, where, Attrs.of());
                dropped.merge(op, 1, Integer::sum);
                yield alias(first(in, where), out);
            }
            case "Dropout" -> dropout(n, where, in, ctx, dropped, out);
            default -> allConst ? foldOnConstants(n, where, op, in, ctx, out) : mapActivation(n, where, op, in, ctx);
        };
        ctx.define(out, result);
    }

    private static Value mapActivation(NodeProto n, String where, String op, List<Value> in, ImportContext ctx) {
        return switch (op) {
            case "Conv" -> LayerMappers.conv(n, where, in, ctx);
            case "Relu" -> LayerMappers.relu(n, where, in, ctx);
            case "MaxPool" -> LayerMappers.pool(n, where, in, ctx, true);
            case "AveragePool" -> LayerMappers.pool(n, where, in, ctx, false);
            case "GlobalAveragePool" -> LayerMappers.globalAvgPool(n, where, in, ctx);
            case "BatchNormalization" -> LayerMappers.batchNorm(n, where, in, ctx);
            case "Gemm" -> DenseMappers.gemm(n, where, in, ctx);
            case "MatMul" -> DenseMappers.matMul(n, where, in, ctx);
            case "Add" -> DenseMappers.add(n, where, in, ctx);
            // shapes family (issue 17)
            case "Concat" -> ShapeMappers.concat(n, where, in, ctx);
            case "Flatten" -> ShapeMappers.flatten(n, where, in, ctx);
            case "Reshape" -> ShapeMappers.reshape(n, where, in, ctx);
            case "Squeeze" -> ShapeMappers.squeeze(n, where, in, ctx);
            case "Unsqueeze" -> ShapeMappers.unsqueeze(n, where, in, ctx);
            case "ReduceMean" -> ShapeMappers.reduceMean(n, where, in, ctx);
            // pointwise family (issue 17): activations, Sub/Mul/Div with broadcasting (Add: DenseMappers.add), Softmax
            case "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Sub", "Mul", "Div", "Softmax" -> PointwiseMappers.map(n, where, op, in, ctx);
            default -> throw new IllegalArgumentException(where + " computes on the image; this importer folds it only when all its inputs are constants");
        };
    }

    private static Value foldOnConstants(NodeProto n, String where, String op, List<Value> in, ImportContext ctx, String out) {
        Const x = (Const) first(in, where);
        Const c = switch (op) {
            case "Gather" -> ConstantFolder.gather(n, where, x, (Const) second(in, where), out);
            case "Unsqueeze", "Squeeze" -> {
                Attrs a = new Attrs(n, where, ctx.opset < 13 ? Attrs.of("axes") : Attrs.of());
                long[] axes = ctx.opset < 13 ? a.ints("axes") : (in.size() > 1 && in.get(1) != null ? Inputs.ints(in, 1, where, "axes").ints() : null);
                if (op.equals("Squeeze")) yield ConstantFolder.squeeze(where, x, axes, out);
                if (axes == null) throw new IllegalArgumentException(where + " lacks axes");
                yield ConstantFolder.unsqueeze(where, x, axes, out);
            }
            case "Concat" -> {
                List<Const> parts = new ArrayList<>();
                for (Value v : in) if (v != null) parts.add((Const) v);
                if (parts.isEmpty()) throw new IllegalArgumentException(where + " has no inputs");
                yield ConstantFolder.concat(n, where, parts, out);
            }
            case "Cast" -> ConstantFolder.cast(n, where, x, out);
            case "Reshape" -> {
                Attrs a = new Attrs(n, where, Attrs.of("allowzero"));
                yield ConstantFolder.reshape(where, x, Inputs.ints(in, 1, where, "shape"), a.integer("allowzero", 0) != 0, out);
            }
            case "Flatten" -> ConstantFolder.flatten(where, x, new Attrs(n, where, Attrs.of("axis")).integer("axis", 1), out);
            // pointwise family (issue 17)
            case "Add", "Sub", "Mul", "Div" -> ConstantArithmetic.fold(n, where, op, x, (Const) second(in, where), out);
            default -> throw new IllegalArgumentException(where + " computes on constants only; folding covers " + String.join(", ", ConstantFolder.OPS)
                    + ", Reshape, Flatten, Identity and " + String.join(", ", ConstantArithmetic.OPS));
        };
        if (c.numel() > OnnxLimits.MAX_FOLDED_VALUES && !op.equals("Reshape") && !op.equals("Flatten") && !op.equals("Unsqueeze") && !op.equals("Squeeze")) {
            throw new IllegalArgumentException(where + " would fold to " + c.numel() + " values, more than " + OnnxLimits.MAX_FOLDED_VALUES);
        }
        return fold(ctx, op, c);
    }

    /** Dropout in inference is the identity; its mask output must be unused and training_mode (opset 12+) false. */
    private static Value dropout(NodeProto n, String where, List<Value> in, ImportContext ctx, Map<String, Integer> dropped, String out) {
        new Attrs(n, where, ctx.opset < 12 ? Attrs.of("ratio") : Attrs.of("seed"));
        if (ctx.opset >= 12 && in.size() > 2 && in.get(2) != null) {
            Const mode = Inputs.ints(in, 2, where, "training_mode");
            for (long v : mode.ints()) if (v != 0) throw new IllegalArgumentException(where + " has training_mode true; export the model in eval mode");
        }
        dropped.merge("Dropout", 1, Integer::sum);
        return alias(first(in, where), out);
    }

    private static void onlyFirstOutputUsed(NodeProto n, String where, ImportContext ctx) {
        for (int i = 1; i < n.getOutputCount(); i++) {
            String o = n.getOutput(i);
            if (!o.isEmpty() && ctx.uses(o) > 0) {
                throw new IllegalArgumentException(where + ": output " + (i + 1) + " " + Quoted.of(o) + " is used; this importer maps only the first output"
                        + " (the inference result) of " + n.getOpType());
            }
        }
    }

    private static Value alias(Value v, String out) { return v instanceof Const c ? c.reshaped(c.dims(), out) : v; }

    private static Const fold(ImportContext ctx, String op, Const c) {
        ctx.countFolded(op);
        return c;
    }

    private static dev.nncompress.tensor.Shape shapeOf(Value v, ImportContext ctx) { return v instanceof Activation a ? ctx.shape(a) : null; }

    private static Value first(List<Value> in, String where) {
        if (in.isEmpty() || in.get(0) == null) throw new IllegalArgumentException(where + " lacks its first input");
        return in.get(0);
    }

    private static Value second(List<Value> in, String where) {
        if (in.size() < 2 || in.get(1) == null) throw new IllegalArgumentException(where + " lacks its second input");
        return in.get(1);
    }

    /** The file name without {@code .onnx}, sanitized as node names are: the graph's name. */
    static String graphName(Path file) {
        String f = file.getFileName() == null ? "model" : file.getFileName().toString();
        if (isOnnxPath(f)) f = f.substring(0, f.length() - 5);
        String s = NodeNames.sanitize(f);
        return s.isEmpty() ? "model" : s;
    }

    private static Map<String, String> provenance(OnnxFile.Header h, String source, ImportContext ctx, int onnxNodes) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("task", "import");
        p.put("source", source);
        p.put("source_format", "onnx");
        p.put("onnx_producer", (h.producer() + " " + h.producerVersion()).trim());
        p.put("onnx_ir_version", Long.toString(h.irVersion()));
        p.put("onnx_opset", Integer.toString(h.opset()));
        p.put("onnx_nodes", Integer.toString(onnxNodes));
        List<String> folded = new ArrayList<>();
        ctx.folded().forEach((k, v) -> folded.add(v == 1 ? k : k + " x" + v));
        p.put("onnx_folded", String.join(", ", folded));
        p.put("normalisation", "none in the ONNX file: evaluated with the dataset's default (Fashion-MNIST: (x/255 - 0.2860)/0.3530, as train uses)");
        p.put(NAMES_KEY, namesJson(ctx.sourceNames()));
        return p;
    }

    /** Most characters of the name map kept in the provenance: the model file's whole header may hold 8 MiB. */
    static final int MAX_NAMES_CHARS = 1 << 20;

    /**
     * The name map as JSON, each ONNX name cut to 256 characters; if it would pass {@link #MAX_NAMES_CHARS}
     * (tens of thousands of long names), the entries that fit, nodes before parameters.
     */
    static String namesJson(Map<String, String> names) {
        JsonMapper json = new JsonMapper();
        Map<String, String> kept = new TreeMap<>();
        long chars = 2;
        List<Map.Entry<String, String>> ordered = new ArrayList<>(names.entrySet());
        ordered.sort(java.util.Comparator.comparing((Map.Entry<String, String> e) -> e.getKey().contains(".")));
        try {
            for (var e : ordered) {
                String v = e.getValue().length() > 256 ? e.getValue().substring(0, 256) + "..." : e.getValue();
                chars += json.writeValueAsString(e.getKey()).length() + json.writeValueAsString(v).length() + 2; // as escaped in the JSON
                if (chars > MAX_NAMES_CHARS) break;
                kept.put(e.getKey(), v);
            }
            return json.writeValueAsString(kept);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
