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

    static Structure read(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            String format = root.path("format").asText("");
            if (!FORMAT.equals(format)) throw new IllegalArgumentException("graph format " + Quoted.of(format) + ", expected " + FORMAT);
            List<Integer> dims = new ArrayList<>();
            for (JsonNode d : required(root, "input_shape")) dims.add(d.asInt());
            List<Node> nodes = new ArrayList<>();
            for (JsonNode o : required(root, "nodes")) {
                List<String> inputs = new ArrayList<>();
                for (JsonNode i : required(o, "inputs")) inputs.add(i.asText());
                Map<String, Double> attrs = new LinkedHashMap<>();
                o.path("attrs").fields().forEachRemaining(e -> attrs.put(e.getKey(), e.getValue().asDouble()));
                nodes.add(new Node(required(o, "name").asText(), opType(required(o, "op").asText()), inputs, attrs));
            }
            Set<String> buffers = new TreeSet<>();
            for (JsonNode b : root.path("buffers")) buffers.add(b.asText());
            return new Structure(required(root, "name").asText(), Shape.of(dims.stream().mapToInt(Integer::intValue).toArray()),
                    nodes, required(root, "output").asText(), buffers);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("graph description is not valid JSON: " + Quoted.escape(e.getOriginalMessage(), 300));
        }
    }

    private static OpType opType(String s) {
        try {
            return OpType.valueOf(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown op " + Quoted.of(s) + " (this build knows " + List.of(OpType.values()) + ")");
        }
    }

    private static JsonNode required(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("graph description lacks '" + field + "'");
        return v;
    }
}
