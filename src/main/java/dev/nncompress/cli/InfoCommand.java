package dev.nncompress.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.util.Quoted;
import dev.nncompress.util.Seeds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code nncompress info}: the layers of a model with their parameter counts, sizes and sparsity,
 * plus the provenance stored in a model file. Reads parameters on the heap (reference) backend, so
 * it never loads native libraries and starts fast. {@code --devices} reports the GPU side instead
 * ({@link DevicesReport}).
 */
@Command(name = "info", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Show a model's layers, parameter counts, sizes and sparsity, and its provenance;",
                "or, with --devices, the CUDA devices and the vendor libraries (cuBLAS, cuBLASLt, cuDNN) found here.",
                "Sparsity is the fraction of exact zeros in the weight tensors (<node>.weight; biases and buffers excluded).",
                "Examples: nncompress info student.safetensors --json; nncompress info --devices"})
final class InfoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "Model file or built-in name (teacher, student, lenet5, resnet8).")
    String model;

    @Option(names = "--devices", description = "Instead of a model: the CUDA devices, driver, and which of cuBLAS, cuBLASLt, cuDNN load.")
    boolean devices;

    @Option(names = "--json", description = "Machine-readable JSON on stdout.")
    boolean json;

    @Option(names = "--seed", defaultValue = "" + Seeds.DEFAULT, paramLabel = "SEED", description = "Initialisation seed when MODEL is a built-in name (default: ${DEFAULT-VALUE}).")
    long seed;

    /** One row of the table. */
    record Layer(String node, String op, List<String> inputs, List<Integer> outputShape, long params, long bufferValues,
                 long bytes, long weightValues, long weightZeros) {
        Double sparsity() { return weightValues == 0 ? null : (double) weightZeros / weightValues; }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (devices) {
            if (model != null) throw new ParameterException(spec.commandLine(), "give either MODEL or --devices, not both");
            DevicesReport.probe().print(out, json);
            return Main.EXIT_OK;
        }
        if (model == null) throw new ParameterException(spec.commandLine(), "Missing required parameter: 'MODEL' (or --devices)");
        Backend backend = CliSupport.inspectionBackend();
        ModelSource src = ModelSource.read(model, seed).on(backend);
        Graph graph = src.isInt8() ? src.int8().floatGraph(backend) : src.graph();
        List<Layer> layers = src.isInt8() ? int8Layers(src.int8(), layers(graph)) : layers(graph);
        if (json) {
            printJson(out, src, graph, layers);
        } else {
            printTable(out, src, graph, layers);
        }
        return Main.EXIT_OK;
    }

    /**
     * The float view's rows with each node's stored bytes (int8 codes + scales + float biases) and its
     * op marked "int8" where the weight is int8; the float bytes stay visible in the totals.
     */
    static List<Layer> int8Layers(Int8Model m, List<Layer> floatRows) {
        Map<String, Long> bytes = m.bytesPerNode();
        List<Layer> out = new ArrayList<>();
        for (Layer l : floatRows) {
            String op = m.weights().containsKey(l.node()) ? l.op() + " int8" : l.op();
            out.add(new Layer(l.node(), op, l.inputs(), l.outputShape(), l.params(), l.bufferValues(), bytes.get(l.node()),
                    l.weightValues(), l.weightZeros()));
        }
        return out;
    }

    static List<Layer> layers(Graph graph) {
        Map<String, Shape> shapes = graph.inferShapes();
        Map<String, List<Parameter>> owned = new LinkedHashMap<>();
        for (Parameter p : graph.params().values()) {
            String owner = p.name().contains(".") ? p.name().substring(0, p.name().indexOf('.')) : p.name();
            owned.computeIfAbsent(owner, k -> new ArrayList<>()).add(p);
        }
        List<Layer> out = new ArrayList<>();
        for (Node n : graph.nodes()) {
            long params = 0;
            long buffers = 0;
            long bytes = 0;
            long weightValues = 0;
            long weightZeros = 0;
            for (Parameter p : owned.getOrDefault(n.name(), List.of())) {
                long numel = p.value().numel();
                if (p.trainable()) params += numel; else buffers += numel;
                bytes += numel * p.value().dtype().bytes();
                if (p.name().equals(n.paramName("weight"))) {
                    weightValues += numel;
                    for (float v : p.value().toFloatArray()) if (v == 0f) weightZeros++;
                }
            }
            List<Integer> shape = new ArrayList<>();
            for (int d : shapes.get(n.name()).dims()) shape.add(d);
            out.add(new Layer(n.name(), n.op().name().toLowerCase(Locale.ROOT), n.inputs(), shape, params, buffers, bytes,
                    weightValues, weightZeros));
        }
        return out;
    }

    private static void printTable(PrintWriter out, ModelSource src, Graph g, List<Layer> layers) {
        // names, info and provenance come from the file: escaped so that none can send a terminal control sequence
        out.printf(Locale.ROOT, "model %s: %s, input %s, output %s%n", src.spec(),
                src.builtIn() ? "built-in " + g.name() : Quoted.safeLine(g.name()), g.inputShape(), Quoted.safeLine(g.output()));
        Map<String, String> sources = sourceNames(src);
        boolean withSource = !sources.isEmpty();
        List<String[]> rows = new ArrayList<>();
        rows.add(withSource ? new String[] {"node", "op", "output shape", "params", "bytes", "sparsity", "onnx node"}
                : new String[] {"node", "op", "output shape", "params", "bytes", "sparsity"});
        long params = 0, buffers = 0, bytes = 0, wv = 0, wz = 0;
        for (Layer l : layers) {
            String[] r = {Quoted.safeLine(l.node()), l.op(), shapeString(l.outputShape()), l.params() == 0 ? "-" : CliSupport.grouped(l.params()),
                    l.bytes() == 0 ? "-" : CliSupport.grouped(l.bytes()), l.sparsity() == null ? "-" : CliSupport.percent(l.sparsity())};
            rows.add(withSource ? append(r, Quoted.safeLine(sources.getOrDefault(l.node(), l.node()))) : r);
            params += l.params();
            buffers += l.bufferValues();
            bytes += l.bytes();
            wv += l.weightValues();
            wz += l.weightZeros();
        }
        String[] total = {"total", "", "", CliSupport.grouped(params), CliSupport.grouped(bytes), wv == 0 ? "-" : CliSupport.percent((double) wz / wv)};
        rows.add(withSource ? append(total, "") : total);
        int cols = rows.get(0).length;
        int[] width = new int[cols];
        for (String[] r : rows) for (int i = 0; i < cols; i++) width[i] = Math.max(width[i], r[i].length());
        boolean[] right = {false, false, false, true, true, true, false};
        for (int ri = 0; ri < rows.size(); ri++) {
            if (ri == rows.size() - 1) out.println(rule(width));
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                if (i > 0) sb.append("  ");
                String cell = rows.get(ri)[i];
                sb.append(right[i] ? " ".repeat(width[i] - cell.length()) + cell : cell + " ".repeat(width[i] - cell.length()));
            }
            out.println(sb.toString().stripTrailing());
            if (ri == 0) out.println(rule(width));
        }
        out.println();
        out.printf(Locale.ROOT, "parameters  %s trainable%s%n", CliSupport.grouped(params),
                buffers == 0 ? "" : " + " + CliSupport.grouped(buffers) + " buffer values (batch-norm statistics)");
        out.printf(Locale.ROOT, "size        %s bytes (%s)%n", CliSupport.grouped(bytes), CliSupport.bytes(bytes));
        if (src.isInt8()) {
            long fb = src.int8().floatBytesPerNode().values().stream().mapToLong(Long::longValue).sum();
            out.printf(Locale.ROOT, "int8        %d of %d weights int8, %d activations int8; %.2fx smaller than in float (%s bytes); %s%n",
                    src.int8().weights().size(), layers.stream().filter(l -> l.weightValues() > 0).count(), src.int8().activations().size(),
                    (double) fb / bytes, CliSupport.grouped(fb), Quoted.safeLine(src.int8().info().toString()));
        }
        out.printf(Locale.ROOT, "sparsity    %s of %s weights are zero (%s)%n", CliSupport.grouped(wz), CliSupport.grouped(wv),
                wv == 0 ? "-" : CliSupport.percent((double) wz / wv));
        List<dev.nncompress.io.CodedStorage.Sizes> coded = CodedInfo.of(src);
        if (!coded.isEmpty()) CodedInfo.print(out, coded, CodedInfo.denseFileBytes(g, src.provenance()), fileBytes(src));
        if (!src.builtIn()) {
            for (String line : inputLines(src)) out.println(line);
            out.println();
            if (src.provenance().isEmpty()) {
                out.println("provenance  (none recorded)");
            } else {
                out.println("provenance");
                int w = src.provenance().keySet().stream().mapToInt(k -> Quoted.safeLine(k).length()).max().orElse(0);
                src.provenance().forEach((k, v) -> out.printf(Locale.ROOT, "  %-" + w + "s  %s%n", Quoted.safeLine(k),
                        // the ONNX name map can be long: the table shows the nodes', --json the whole map
                        k.equals(OnnxImporter.NAMES_KEY) ? "(" + sources.size() + " names; nodes' in the table, all with --json)" : Quoted.safeLine(v)));
            }
        }
    }

    /**
     * The input a model file expects (docs/data.md): its normalisation and class names, from its provenance. An entry
     * that does not validate is shown as such rather than failing the inspection.
     */
    static List<String> inputLines(ModelSource src) {
        List<String> lines = new ArrayList<>();
        try {
            var norm = DataContract.storedNormalization(src);
            lines.add("input       " + (norm == null ? "no normalisation stored: evaluated with the dataset's default" : "normalised with " + norm));
        } catch (ModelFormatException e) {
            lines.add("input       " + Quoted.safeLine(e.getMessage()));
        }
        try {
            List<String> names = DataContract.storedClassNames(src);
            if (!names.isEmpty()) {
                StringBuilder sb = new StringBuilder("classes     " + names.size() + ": ");
                for (int i = 0; i < Math.min(20, names.size()); i++) sb.append(i == 0 ? "" : ", ").append(Quoted.safeLine(names.get(i)));
                lines.add(sb.append(names.size() > 20 ? ", ..." : "").toString());
            }
        } catch (ModelFormatException e) {
            lines.add("classes     " + Quoted.safeLine(e.getMessage()));
        }
        return lines;
    }

    /** Our node and parameter names -> the ONNX names they were imported from (empty unless the model came from ONNX). */
    static Map<String, String> sourceNames(ModelSource src) {
        String json = src.builtIn() ? null : src.provenance().get(OnnxImporter.NAMES_KEY);
        Map<String, String> names = new LinkedHashMap<>();
        if (json == null) return names;
        try {
            var root = new JsonMapper().readTree(json);
            if (root != null && root.isObject()) {
                for (var e : root.properties()) if (e.getValue().isTextual()) names.put(e.getKey(), e.getValue().textValue());
            }
        } catch (JsonProcessingException e) {
            // a provenance entry we cannot read only loses the column, the model is fine
        }
        return names;
    }

    private static long fileBytes(ModelSource src) {
        try {
            return java.nio.file.Files.size(java.nio.file.Path.of(src.spec()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(src.spec() + ": " + e.getMessage(), e);
        }
    }

    private static String[] append(String[] row, String cell) {
        String[] r = java.util.Arrays.copyOf(row, row.length + 1);
        r[row.length] = cell;
        return r;
    }

    private static String rule(int[] width) {
        int total = 0;
        for (int w : width) total += w;
        return "-".repeat(total + 2 * (width.length - 1));
    }

    private static String shapeString(List<Integer> dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.size(); i++) sb.append(i == 0 ? "" : "x").append(dims.get(i));
        return sb.toString();
    }

    private static void printJson(PrintWriter out, ModelSource src, Graph g, List<Layer> layers) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", src.spec());
        root.put("name", g.name());
        root.put("source", src.builtIn() ? "built-in" : "file");
        List<Integer> in = new ArrayList<>();
        for (int d : g.inputShape().dims()) in.add(d);
        root.put("input_shape", in);
        root.put("output", g.output());
        root.put("format", src.isInt8() ? "int8" : "float32");
        if (src.isInt8()) {
            root.put("float_bytes", src.int8().floatBytesPerNode().values().stream().mapToLong(Long::longValue).sum());
            root.put("int8", src.int8().info());
        }
        List<Map<String, Object>> ls = new ArrayList<>();
        Map<String, String> sources = sourceNames(src);
        long params = 0, buffers = 0, bytes = 0, wv = 0, wz = 0;
        for (Layer l : layers) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", l.node());
            m.put("op", l.op());
            m.put("inputs", l.inputs());
            m.put("output_shape", l.outputShape());
            m.put("params", l.params());
            m.put("buffer_values", l.bufferValues());
            m.put("bytes", l.bytes());
            m.put("weight_values", l.weightValues());
            m.put("weight_zeros", l.weightZeros());
            m.put("sparsity", l.sparsity());
            if (sources.containsKey(l.node())) m.put("onnx_node", sources.get(l.node()));
            ls.add(m);
            params += l.params();
            buffers += l.bufferValues();
            bytes += l.bytes();
            wv += l.weightValues();
            wz += l.weightZeros();
        }
        root.put("layers", ls);
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("parameters", params);
        totals.put("buffer_values", buffers);
        totals.put("bytes", bytes);
        totals.put("weight_values", wv);
        totals.put("weight_zeros", wz);
        totals.put("sparsity", wv == 0 ? null : (double) wz / wv);
        root.put("totals", totals);
        if (!src.builtIn()) {
            try {
                var norm = DataContract.storedNormalization(src);
                Map<String, Object> n = new LinkedHashMap<>();
                if (norm != null) {
                    n.put("mean", norm.mean());
                    n.put("std", norm.std());
                }
                root.put("normalization", norm == null ? null : n);
                List<String> names = DataContract.storedClassNames(src);
                root.put("class_names", names.isEmpty() ? null : names);
            } catch (ModelFormatException e) {
                root.put("input_error", e.getMessage());
            }
        }
        root.put("provenance", src.builtIn() ? null : src.provenance());
        List<dev.nncompress.io.CodedStorage.Sizes> coded = CodedInfo.of(src);
        if (!coded.isEmpty()) root.put("coded", CodedInfo.json(coded, CodedInfo.denseFileBytes(g, src.provenance()), fileBytes(src)));
        try {
            out.println(JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValueAsString(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
