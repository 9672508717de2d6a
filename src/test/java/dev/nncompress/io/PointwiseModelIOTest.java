package dev.nncompress.io;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.PointwiseNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pointwise ops in model files: a round trip keeps nodes, attributes, constants and which of them are buffers; the ADD files made before keep loading. */
class PointwiseModelIOTest {
    private final Backend backend = new ReferenceBackend();
    @TempDir Path dir;

    @Test
    void roundTripKeepsEveryPointwiseNodeAndTheConstantsBufferFlags() {
        Graph g = PointwiseNet.build(backend, 3);
        Path f = dir.resolve("pw.safetensors");
        ModelIO.save(g, f, Provenance.collect(Map.of()));
        Graph h = ModelIO.load(f, backend).graph();
        assertEquals(g.nodes(), h.nodes());
        for (Parameter p : g.params().values()) {
            assertEquals(p.trainable(), h.param(p.name()).trainable(), p.name());
            assertArrayEquals(p.value().toFloatArray(), h.param(p.name()).value().toFloatArray(), 0f, p.name());
        }
        assertFalse(h.param("rev.constant").trainable());
        assertEquals(1.0, h.node("rev").attr("constant_first", 0));
        assertEquals(0.7, h.node("clip").attr("max", 0));
        float[] x = new float[2 * 3 * 6 * 6];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        try (GraphPredictor a = new GraphPredictor(g, backend); GraphPredictor b = new GraphPredictor(h, backend)) {
            assertArrayEquals(a.logits(x, 2), b.logits(x, 2), 0f);
        }
    }

    /** The graph JSON of a residual ADD as files before issue 17 wrote it: read, it is the same sum. */
    @Test
    void aResidualAddOfTheEarlierFormatReadsAndAdds() {
        String json = "{\"format\":\"nncompress-graph/1\",\"name\":\"res\",\"input_shape\":[2,2],\"output\":\"add\",\"nodes\":["
                + "{\"name\":\"relu\",\"op\":\"RELU\",\"inputs\":[\"input\"],\"attrs\":{}},"
                + "{\"name\":\"add\",\"op\":\"ADD\",\"inputs\":[\"relu\",\"input\"],\"attrs\":{}}],\"buffers\":[]}";
        GraphJson.Structure s = GraphJson.read(json);
        Graph g = new Graph(s.name(), s.inputShape(), s.nodes(), s.output(), Map.of());
        try (GraphPredictor p = new GraphPredictor(g, backend)) {
            assertArrayEquals(new float[] {2, -1, -2, 6}, p.logits(new float[] {1, -1, -2, 3}, 1));
        }
        assertEquals(OpType.ADD, g.node("add").op());
    }

    @Test
    void pointwiseAttributesFromAFileAreCheckedAgainstTheirOps() {
        String node = "{\"name\":\"n\",\"op\":\"%s\",\"inputs\":[\"input\"],\"attrs\":%s}";
        String base = "{\"format\":\"nncompress-graph/1\",\"name\":\"g\",\"input_shape\":[4],\"output\":\"n\",\"nodes\":[%s]}";
        String[][] bad = {{"LEAKY_RELU", "{\"alpha\":1e300}", "alpha = 1.0E300 is not a number"}, {"CLIP", "{\"lo\":0}", "unknown attribute 'lo'"},
            {"SOFTMAX", "{\"axis\":1.5}", "axis = 1.5 is not an integer"}, {"SIGMOID", "{\"alpha\":1}", "SIGMOID takes none"},
            {"MUL", "{\"constant_first\":2}", "constant_first = 2 is not an integer in [0, 1]"}};
        for (String[] b : bad) {
            String m = assertThrows(IllegalArgumentException.class, () -> GraphJson.read(base.formatted(node.formatted(b[0], b[1])))).getMessage();
            assertTrue(m.contains(b[2]), m);
        }
        Node ok = GraphJson.read(base.formatted(node.formatted("HARD_SIGMOID", "{\"alpha\":0.25}"))).nodes().get(0);
        assertEquals(0.25, ok.attr("alpha", 0));
    }
}
