package dev.nncompress.io;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The graph description is checked value by value before anything is built from it. */
class GraphJsonTest {
    private static final String NODE = "{\"name\":\"c\",\"op\":\"CONV2D\",\"inputs\":[\"input\"],\"attrs\":{\"stride_h\":1,\"stride_w\":1,\"pad_h\":0,\"pad_w\":%s}}";

    private static String graph(String inputShape, String nodes) {
        return "{\"format\":\"nncompress-graph/1\",\"name\":\"g\",\"input_shape\":" + inputShape + ",\"output\":\"c\",\"nodes\":[" + nodes + "]}";
    }

    private static String rejected(String json) {
        return assertThrows(IllegalArgumentException.class, () -> GraphJson.read(json)).getMessage();
    }

    @Test
    void writtenGraphsReadBack() {
        Graph g = Models.teacher(new ReferenceBackend(), 0);
        GraphJson.Structure s = GraphJson.read(GraphJson.write(g));
        assertEquals(g.nodes(), s.nodes());
        assertEquals(g.inputShape(), s.inputShape());
    }

    @Test
    void attributeValuesMustBeNumbersInTheirOpsRange() {
        assertEquals("node c: attribute 'pad_w' = 'NaN' is not a JSON number", rejected(graph("[1,28,28]", NODE.formatted("\"NaN\""))));
        assertTrue(rejected(graph("[1,28,28]", NODE.formatted("true"))).endsWith("= 'true' is not a JSON number"));
        assertTrue(rejected(graph("[1,28,28]", NODE.formatted("{}"))).endsWith("= '{}' is not a JSON number"));
        assertEquals("node c (CONV2D): attribute pad_w = 1.0E300 is not an integer in [0, 1024]", rejected(graph("[1,28,28]", NODE.formatted("1e300"))));
        String inf = rejected(graph("[1,28,28]", NODE.formatted("1e400")));
        assertTrue(inf.contains("pad_w = Infinity"), inf);
        String big = rejected(graph("[1,28,28]", NODE.formatted("99999999999999999999999"))); // a BigInteger, read as about 1e23
        assertTrue(big.contains("pad_w = 9.99999999999999") && big.endsWith("is not an integer in [0, 1024]"), big);
        assertTrue(rejected(graph("[1,28,28]", NODE.formatted("NaN"))).startsWith("graph description is not valid JSON"));
    }

    @Test
    void inputShapeIsBoundedBeforeAnyProductIsTaken() {
        assertTrue(rejected(graph("[65536,65536,1]", NODE.formatted("0"))).endsWith("has more than 16777216 values per sample"));
        assertTrue(rejected(graph("[46341,46341,1]", NODE.formatted("0"))).endsWith("has more than 16777216 values per sample"));
        assertTrue(rejected(graph("[65536,65536,65536,65536]", NODE.formatted("0"))).contains("must be an array of 1 to 3 dims"));
        assertTrue(rejected(graph("[1,0,28]", NODE.formatted("0"))).contains("dim 1 = '0' is not an integer in [1, 16777216]"));
        assertTrue(rejected(graph("[1,28.5,28]", NODE.formatted("0"))).contains("dim 1 = '28.5' is not an integer"));
        assertTrue(rejected(graph("[1,\"28\",28]", NODE.formatted("0"))).contains("dim 1 = '28' is not an integer"));
        assertTrue(rejected(graph("28", NODE.formatted("0"))).contains("input_shape '28' must be an array"));
    }

    @Test
    void namesCountsAndTypesAreBounded() {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < GraphJson.MAX_NODES + 1; i++) many.append(i == 0 ? "" : ",").append("{\"name\":\"r").append(i).append("\",\"op\":\"RELU\",\"inputs\":[\"input\"]}");
        assertEquals("graph has 4097 nodes, more than 4096", rejected(graph("[4]", many.toString())));
        assertTrue(rejected(graph("[1,28,28]", NODE.replace("\"c\"", "\"a\\nb\"").formatted("0"))).contains("'a\\nb' must be 1 to 256 characters without control"));
        assertTrue(rejected(graph("[1,28,28]", NODE.replace("\"c\"", "\"" + "x".repeat(257) + "\"").formatted("0"))).contains("must be 1 to 256 characters"));
        assertTrue(rejected(graph("[1,28,28]", NODE.replace("\"CONV2D\"", "7").formatted("0"))).contains("node c op '7' is not a JSON string"));
        assertTrue(rejected(graph("[1,28,28]", NODE.replace("[\"input\"]", "\"input\"").formatted("0"))).contains("inputs 'input' is not a JSON array"));
        assertTrue(rejected(graph("[1,28,28]", NODE.replace("\"CONV2D\"", "\"CONV3D\"").formatted("0"))).startsWith("unknown op 'CONV3D'"));
        assertEquals("graph description is not a JSON object", rejected("[1]"));
        assertEquals("graph lacks 'nodes'", rejected("{\"format\":\"nncompress-graph/1\",\"name\":\"g\",\"input_shape\":[1]}"));
    }
}
