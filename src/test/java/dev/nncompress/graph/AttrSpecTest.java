package dev.nncompress.graph;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every node is checked against its op's attribute list when made; the message names node, attribute, value and range. */
class AttrSpecTest {
    private static Map<String, Double> conv(String key, double value) {
        Map<String, Double> a = new HashMap<>(Map.of("stride_h", 1.0, "stride_w", 1.0, "pad_h", 0.0, "pad_w", 0.0));
        a.put(key, value);
        return a;
    }

    private static String rejected(OpType op, Map<String, Double> attrs) {
        return assertThrows(IllegalArgumentException.class, () -> new Node("n1", op, List.of(Graph.INPUT), attrs)).getMessage();
    }

    @Test
    void valuesAnOpWouldMisreadAreRejected() {
        assertEquals("node n1 (CONV2D): attribute pad_w = 2147483647 is not an integer in [0, 1024]", rejected(OpType.CONV2D, conv("pad_w", Integer.MAX_VALUE)));
        assertEquals("node n1 (CONV2D): attribute pad_h = NaN is not an integer in [0, 1024]", rejected(OpType.CONV2D, conv("pad_h", Double.NaN)));
        assertEquals("node n1 (CONV2D): attribute pad_h = 1.0E20 is not an integer in [0, 1024]", rejected(OpType.CONV2D, conv("pad_h", 1e20)));
        assertEquals("node n1 (CONV2D): attribute stride_h = 2.5 is not an integer in [1, 1024]", rejected(OpType.CONV2D, conv("stride_h", 2.5)));
        assertEquals("node n1 (CONV2D): attribute stride_w = 0 is not an integer in [1, 1024]", rejected(OpType.CONV2D, conv("stride_w", 0)));
        assertTrue(rejected(OpType.CONV2D, conv("relu", 0.5)).endsWith("attribute relu = 0.5 is not an integer in [0, 1]"));
        assertTrue(rejected(OpType.CONV2D, conv("pad_w", Double.POSITIVE_INFINITY)).contains("pad_w = Infinity"));
        assertTrue(rejected(OpType.MAXPOOL2D, Map.of("kernel_h", -3.0)).contains("kernel_h = -3 is not an integer in [1, 1024]"));
        assertTrue(rejected(OpType.DROPOUT, Map.of("p", 1.0)).contains("p = 1 is not a number in [0, 1)"));
        assertTrue(rejected(OpType.BATCHNORM2D, Map.of("eps", 0.0)).contains("eps = 0 is not a number in (0, 1]"));
        assertTrue(rejected(OpType.BATCHNORM2D, Map.of("momentum", -0.1)).contains("momentum = -0.1 is not a number in [0, 1]"));
    }

    @Test
    void unknownAndMissingAttributesAreRejected() {
        assertEquals("node n1 (CONV2D): unknown attribute 'dilations'; CONV2D takes stride_h, stride_w, pad_h, pad_w, relu, pad_bottom, "
                + "pad_right, dilation_h, dilation_w, groups", rejected(OpType.CONV2D, conv("dilations", 2)));
        assertEquals("node n1 (RELU): unknown attribute 'p'; RELU takes none", rejected(OpType.RELU, Map.of("p", 0.5)));
        Map<String, Double> noStride = conv("pad_w", 0);
        noStride.remove("stride_w");
        assertEquals("node n1 (CONV2D): lacks attribute stride_w (an integer in [1, 1024])", rejected(OpType.CONV2D, noStride));
    }

    @Test
    void acceptedIntegersReadExactlyAndOptionalOnesMayBeAbsent() {
        Node n = new Node("n1", OpType.CONV2D, List.of(Graph.INPUT), conv("pad_w", 1024));
        assertEquals(1024, n.intAttr("pad_w"));
        assertEquals(0.5, new Node("d", OpType.DROPOUT, List.of(Graph.INPUT), Map.of()).attr("p", 0.5));
        new Node("b", OpType.BATCHNORM2D, List.of(Graph.INPUT), Map.of("eps", 1e-5, "momentum", 0.0));
    }
}
