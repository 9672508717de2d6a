package dev.nncompress.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.util.Quoted;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The graph's structure as JSON, stored in the model file's {@code __metadata__}. Parameters are
 * not in it (they are the file's tensors); it lists which of them are buffers.
 */
final class GraphJson {
    static final String FORMAT = "nncompress-graph/1";
    private static final JsonMapper JSON = new JsonMapper();

    private GraphJson() {}

    static String write(Graph g) {
        return write(g.name(), g.inputShape(), g.nodes(), g.output(),
                g.params().values().stream().filter(p -> !p.trainable()).map(dev.nncompress.graph.Parameter::name).toList());
    }

    /** The structure alone (an int8 model has no float Graph to hand over). */
    static String write(String name, Shape inputShape, List<Node> graphNodes, String output, List<String> bufferNames) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("name", name);
        ArrayNode in = root.putArray("input_shape");
        for (int d : inputShape.dims()) in.add(d);
        root.put("output", output);
        ArrayNode nodes = root.putArray("nodes");
        for (Node n : graphNodes) {
            ObjectNode o = nodes.addObject();
            o.put("name", n.name());
            o.put("op", n.op().name());
            ArrayNode ins = o.putArray("inputs");
            n.inputs().forEach(ins::add);
            ObjectNode attrs = o.putObject("attrs");
            n.attrs().forEach(attrs::put);
        }
        ArrayNode buffers = root.putArray("buffers");
        bufferNames.forEach(buffers::add);
        return root.toString();
    }

    /** The parsed structure; parameters are attached by {@link ModelIO}. */
    record Structure(String name, Shape inputShape, List<Node> nodes, String output, Set<String> buffers) {}

    /** Bounds of a graph read from a file: far above any model here (the teacher has 13 nodes), far below what would be slow. */
    static final int MAX_NODES = 4096;
    static final int MAX_NAME_LENGTH = 256;
    static final int MAX_INPUTS = 16;
    /** Values per sample of the graph input, each dim and their product. */
    static final int MAX_INPUT_VALUES = Graph.MAX_SAMPLE_VALUES;
    static final int MAX_INPUT_RANK = 3;

    /**
     * The structure of a graph description, every value checked before it is used: JSON types (a
     * number where a number belongs, text where a name belongs), counts and lengths within the bounds
     * above, the input shape's dims integers in [1, 2^24] with a product in range, and each node's
     * attributes against its op's {@link dev.nncompress.graph.AttrSpec}s (by {@link Node}'s constructor).
     * Topology and shapes are checked by the {@link dev.nncompress.graph.Graph} the caller builds.
     */
    static Structure read(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("graph description is not valid JSON: " + Quoted.escape(e.getOriginalMessage(), 300));
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("graph description is not a JSON object");
        String format = root.path("format").asText("");
        if (!FORMAT.equals(format)) throw new IllegalArgumentException("graph format " + shown(root.path("format")) + ", expected " + FORMAT);
        String name = name(root, "name", "graph");
        Shape inputShape = inputShape(required(root, "input_shape", "graph description"));
        JsonNode nodesJson = array(root, "nodes", "graph", MAX_NODES);
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < nodesJson.size(); i++) {
            JsonNode o = nodesJson.get(i);
            if (!o.isObject()) throw new IllegalArgumentException("node #" + i + " is " + shown(o) + ", not a JSON object");
            String nodeName = name(o, "name", "node #" + i);
            String where = "node " + nodeName;
            OpType op = opType(text(o, "op", where));
            List<String> inputs = new ArrayList<>();
            for (JsonNode in : array(o, "inputs", where, MAX_INPUTS)) inputs.add(nameValue(in, where + " input"));
            nodes.add(new Node(nodeName, op, inputs, attrs(o, where)));
        }
        Set<String> buffers = new TreeSet<>();
        if (root.has("buffers")) for (JsonNode b : array(root, "buffers", "graph", 4 * MAX_NODES)) buffers.add(text(b, "graph buffer"));
        return new Structure(name, inputShape, nodes, name(root, "output", "graph"), buffers);
    }

    /** [C, H, W] (or [F], [H, W]) per sample: integer dims in [1, 2^24] whose product is at most 2^24. */
    private static Shape inputShape(JsonNode a) {
        if (!a.isArray() || a.isEmpty() || a.size() > MAX_INPUT_RANK) {
            throw new IllegalArgumentException("input_shape " + shown(a) + " must be an array of 1 to " + MAX_INPUT_RANK + " dims ([C, H, W] per sample)");
        }
        int[] dims = new int[a.size()];
        long product = 1;
        for (int i = 0; i < dims.length; i++) {
            JsonNode d = a.get(i);
            double v = d.isNumber() ? d.asDouble() : Double.NaN;
            if (!(v >= 1 && v <= MAX_INPUT_VALUES && v == Math.rint(v))) {
                throw new IllegalArgumentException("input_shape " + shown(a) + ": dim " + i + " = " + shown(d) + " is not an integer in [1, " + MAX_INPUT_VALUES + "]");
            }
            dims[i] = (int) v;
            product *= dims[i]; // at most 2^24 * 2^24 before the check below: no overflow
            if (product > MAX_INPUT_VALUES) {
                throw new IllegalArgumentException("input_shape " + shown(a) + " has more than " + MAX_INPUT_VALUES + " values per sample");
            }
        }
        return Shape.of(dims);
    }

    /** A node's attributes: JSON numbers only (their ranges are the op's to check). */
    private static Map<String, Double> attrs(JsonNode o, String where) {
        Map<String, Double> attrs = new LinkedHashMap<>();
        JsonNode a = o.get("attrs");
        if (a == null || a.isNull()) return attrs;
        if (!a.isObject()) throw new IllegalArgumentException(where + ": attrs " + shown(a) + " is not a JSON object");
        for (var it = a.fields(); it.hasNext(); ) {
            var e = it.next();
            // asDouble would read "NaN" as NaN, true as 1 and an object as 0
            if (!e.getValue().isNumber()) {
                throw new IllegalArgumentException(where + ": attribute " + Quoted.of(e.getKey()) + " = " + shown(e.getValue()) + " is not a JSON number");
            }
            attrs.put(e.getKey(), e.getValue().asDouble());
        }
        return attrs;
    }

    /** A node or graph name: text of 1 to 256 characters, no control characters (names go into one-line messages). */
    private static String name(JsonNode o, String field, String where) { return nameValue(required(o, field, where), where + " " + field); }

    private static String nameValue(JsonNode v, String what) {
        String s = text(v, what);
        if (s.isEmpty() || s.length() > MAX_NAME_LENGTH || s.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(what + " " + shown(v) + " must be 1 to " + MAX_NAME_LENGTH + " characters without control characters");
        }
        return s;
    }

    private static String text(JsonNode o, String field, String where) { return text(required(o, field, where), where + " " + field); }

    private static String text(JsonNode v, String what) {
        if (!v.isTextual()) throw new IllegalArgumentException(what + " " + shown(v) + " is not a JSON string");
        return v.asText();
    }

    private static JsonNode array(JsonNode o, String field, String where, int max) {
        JsonNode a = required(o, field, where);
        if (!a.isArray()) throw new IllegalArgumentException(where + " " + field + " " + shown(a) + " is not a JSON array");
        if (a.size() > max) throw new IllegalArgumentException(where + " has " + a.size() + " " + field + ", more than " + max);
        return a;
    }

    /** File text in a message, escaped and cut by {@link Quoted}: a string as its text, any other JSON value as written. */
    private static String shown(JsonNode v) { return Quoted.of(v.isTextual() ? v.asText() : v.toString()); }

    private static OpType opType(String s) {
        try {
            return OpType.valueOf(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown op " + Quoted.of(s) + " (this build knows " + List.of(OpType.values()) + ")");
        }
    }

    private static JsonNode required(JsonNode o, String field, String where) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException(where + " lacks '" + field + "'");
        return v;
    }
}
