package dev.nncompress.io.onnx;

import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Node names from the user's names, and the bounded map of the exact ONNX names. */
class NodeNamesTest {
    @Test
    void weightModulePathThenOnnxNodeNameThenOpAndPosition() {
        NodeNames n = new NodeNames();
        assertEquals("layer1_0_conv1", n.unique("layer1.0.conv1.weight", "/layer1/layer1.0/conv1/Conv", "Conv", 0));
        assertEquals("layer1_Relu_1", n.unique(null, "/layer1/Relu_1", "Relu", 1));
        assertEquals("conv1_Conv", n.unique("onnx::Conv_12", "/conv1/Conv", "Conv", 2), "exporter-made weight names are not module paths");
        assertEquals("MatMul", n.unique("w3", "/MatMul", "MatMul", 3));
        assertEquals("relu_4", n.unique(null, "", "Relu", 4));
        assertEquals("layer1_0_conv1_2", n.unique("layer1.0.conv1.weight", "", "Conv", 5), "collisions get a suffix");
        assertEquals("input_2", n.unique(null, "input", "Relu", 6), "the graph input's name is taken");
    }

    @Test
    void sanitizedNamesAreSafeAndBounded() {
        assertEquals("a_b_c", NodeNames.sanitize("a.b/c"));
        assertEquals("x_y", NodeNames.sanitize("x\u202e\u001b[31my".replace("[31m", "")));
        assertEquals("", NodeNames.sanitize("../..//"));
        assertEquals(96, NodeNames.sanitize("n".repeat(5000)).length());
    }

    @Test
    void nameMapIsCutToItsBudgetNodesFirst() throws Exception {
        Map<String, String> names = new LinkedHashMap<>();
        for (int i = 0; i < 10_000; i++) {
            names.put("node" + i + ".weight", "p".repeat(300));
            names.put("node" + i, "n".repeat(40));
        }
        String json = OnnxImporter.namesJson(names);
        assertTrue(json.length() <= OnnxImporter.MAX_NAMES_CHARS, "bounded: " + json.length());
        Map<?, ?> back = new JsonMapper().readValue(json, Map.class);
        assertTrue(back.containsKey("node9999"), "every node name fits before any parameter");
        assertEquals("p".repeat(256) + "...", back.values().stream().filter(v -> ((String) v).startsWith("p")).findFirst().orElseThrow());
    }
}
