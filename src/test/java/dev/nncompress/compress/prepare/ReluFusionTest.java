package dev.nncompress.compress.prepare;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.nncompress.compress.prepare.PrepareFixtures.infer;
import static dev.nncompress.compress.prepare.PrepareFixtures.randomInput;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReluFusionTest {
    private final Backend backend = new ReferenceBackend();

    private GraphBuilder builder(String name) { return new GraphBuilder(name, Shape.of(2, 6, 6), backend, 1); }

    /** Fusion changes no arithmetic, so the fused graph's output must be bit-identical. */
    private void assertSameFunction(Graph a, Graph b) {
        Tensor x = randomInput(backend, a, 3, 4);
        assertArrayEquals(infer(a, backend, x), infer(b, backend, x), 0f);
    }

    @Test
    void reluWhoseOutputIsReadTwiceIsFusedAndBothReadersRewired() {
        GraphBuilder b = builder("twice");
        String r = b.relu("r", b.conv("c", Graph.INPUT, 3, 3, 1, 1, true));
        Graph g = b.build(b.addNodes("add", b.conv("c2", r, 3, 3, 1, 1, true), r));

        PassResult p = ReluFusion.apply(g);
        assertEquals(List.of(new Merge("c", "r")), p.merged());
        assertTrue(FusedRelu.on(p.graph().node("c")));
        assertEquals(List.of("c"), p.graph().node("c2").inputs());
        assertEquals(List.of("c2", "c"), p.graph().node("add").inputs());
        assertSameFunction(g, p.graph());
    }

    @Test
    void convWhosePreActivationIsAlsoReadElsewhereIsNotFused() {
        GraphBuilder b = builder("preact");
        String c = b.conv("c", Graph.INPUT, 3, 3, 1, 1, true);
        Graph g = b.build(b.addNodes("add", b.relu("r", c), c));

        PassResult p = ReluFusion.apply(g);
        assertTrue(p.merged().isEmpty());
        assertEquals("r", p.skipped().get(0).node());
        assertTrue(p.skipped().get(0).reason().contains("other readers"), p.skipped().get(0).reason());
        assertEquals(g.nodes(), p.graph().nodes());
        assertSameFunction(g, p.graph());
    }

    @Test
    void twoRelusOnOneConvAreNeitherFused() {
        GraphBuilder b = builder("tworelus");
        String c = b.conv("c", Graph.INPUT, 3, 3, 1, 1, true);
        Graph g = b.build(b.addNodes("add", b.relu("r1", c), b.relu("r2", c)));
        PassResult p = ReluFusion.apply(g);
        assertTrue(p.merged().isEmpty());
        assertEquals(List.of("r1", "r2"), p.skipped().stream().map(Skip::node).toList());
    }

    @Test
    void reluAfterOtherOpsOrOnTheInputIsLeftAloneAndTheOutputReluIsFused() {
        GraphBuilder b = builder("mixed");
        String x = b.relu("r_in", Graph.INPUT);
        x = b.relu("r_pool", b.maxPool("pool", b.conv("c", x, 4, 3, 1, 1, false), 2));
        x = b.relu("r_fc", b.linear("fc", b.flatten("flat", x), 5)); // the graph output
        Graph g = b.build(x);

        PassResult p = ReluFusion.apply(g);
        assertEquals(List.of(new Merge("fc", "r_fc")), p.merged());
        assertEquals(List.of("r_in", "r_pool"), p.skipped().stream().map(Skip::node).toList());
        assertEquals("fc", p.graph().output());
        assertTrue(FusedRelu.on(p.graph().node("fc")));
        assertFalse(FusedRelu.on(p.graph().node("c")));
        assertSameFunction(g, p.graph());
    }

    @Test
    void reluThatIsAlreadyFusedIsNotFusedAgain() {
        GraphBuilder b = builder("double");
        Graph g = b.build(b.relu("r2", b.relu("r1", b.conv("c", Graph.INPUT, 3, 3, 1, 1, true))));
        Graph once = ReluFusion.apply(g).graph(); // c(relu) -> r2
        PassResult again = ReluFusion.apply(once);
        assertTrue(again.merged().isEmpty());
        assertTrue(again.skipped().get(0).reason().contains("already applies a fused ReLU"), again.skipped().get(0).reason());
        assertSameFunction(g, again.graph());
    }

    @Test
    void reluAttributeOtherThanZeroOrOneIsRejected() {
        GraphBuilder b = builder("bad");
        Graph g = b.build(b.conv("c", Graph.INPUT, 2, 1, 1, 0, false));
        Node c = g.node("c");
        Map<String, Double> attrs = new HashMap<>(c.attrs());
        attrs.put(FusedRelu.ATTR, 2.0);
        var e = assertThrows(IllegalArgumentException.class, () -> new Graph("bad", g.inputShape(),
                List.of(new Node("c", OpType.CONV2D, c.inputs(), attrs)), "c", g.params()));
        assertTrue(e.getMessage().contains("relu"), e.getMessage());
    }
}
