package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pointwise graph ops in a network ({@link PointwiseNet}): parameter gradients through all of them
 * against finite differences of the loss (a trainable constant operand included), constant operands
 * that are buffers getting none, and the shape rules a graph (or a model file) must follow.
 */
class PointwiseGraphTest {
    private final Backend backend = new ReferenceBackend();

    @Test
    void everyParameterGradientMatchesFiniteDifferences() {
        Graph g = PointwiseNet.build(backend, 11);
        SplittableRandom rng = new SplittableRandom(4);
        float[] input = new float[2 * 3 * 6 * 6];
        for (int i = 0; i < input.length; i++) input[i] = (float) rng.nextGaussian();
        Tensor x = backend.fromFloats(input, Shape.of(2, 3, 6, 6));
        int[] labels = {3, 1};
        GraphGradientCheck.check(g, backend, x, labels, 5, rng, 5, 25); // 32 of 39 above the noise floor
        assertTrue(g.param("scale.constant").trainable(), "the fixture has one trainable constant");
        assertFalse(g.param("sub_mean.constant").trainable());
        assertNull(g.param("sub_mean.constant").grad(), "a constant that is a buffer gets no gradient");
    }

    @Test
    void shapesBroadcastAndWhatCannotIsRefusedByName() {
        Map<String, Shape> shapes = PointwiseNet.build(backend, 1).inferShapes();
        assertEquals(Shape.of(4, 6, 6), shapes.get("se_mul"));
        assertEquals(Shape.of(4, 6, 6), shapes.get("rev"));
        assertEquals(Shape.of(5), shapes.get("probs"));

        GraphBuilder b = fresh();
        // [4, 1, 1] * [4, 3, 3]: the output may be larger than the first operand
        assertEquals(Shape.of(4, 3, 3), b.shapeOf(b.arithmetic("grow", OpType.MUL, b.globalAvgPool("gap", Graph.INPUT), Graph.INPUT)));
        // a builder keeps a node it refused: a fresh one per case
        String rank = refused(c -> c.arithmetic("r", OpType.ADD, c.flatten("flat", Graph.INPUT), Graph.INPUT));
        assertTrue(rank.contains("[N, 36] and [N, 4, 3, 3] differ in rank"), rank);
        String batch = refused(c -> c.arithmetic("c", OpType.SUB, Graph.INPUT, backend.fromFloats(new float[8], Shape.of(2, 4, 1, 1)), false, false));
        assertTrue(batch.contains("dim 0 aligns with the batch dim of [N, 4, 3, 3] and must be 1"), batch);
        String bad = refused(c -> c.arithmetic("d", OpType.DIV, Graph.INPUT, backend.fromFloats(new float[2], Shape.of(2, 1, 1)), false, false));
        assertTrue(bad.contains("do not broadcast"), bad);
        String axis = refused(c -> c.softmax("s", Graph.INPUT, 0));
        assertTrue(axis.contains("batch dimension"), axis);
        refused(c -> c.softmax("s2", Graph.INPUT, 4));
        assertThrows(IllegalArgumentException.class, () -> new Node("l", OpType.LEAKY_RELU, List.of(Graph.INPUT), Map.of("beta", 1.0)));
        assertThrows(IllegalArgumentException.class, () -> new Node("c", OpType.CLIP, List.of(Graph.INPUT), Map.of("max", 1e300)));
        String missing = assertThrows(IllegalArgumentException.class,
                () -> new Graph("g", Shape.of(2), List.of(new Node("m", OpType.MUL, List.of(Graph.INPUT), Map.of())), "m", Map.of())).getMessage();
        assertTrue(missing.contains("m.constant, which is missing"), missing);
    }

    private GraphBuilder fresh() { return new GraphBuilder("g", Shape.of(4, 3, 3), backend, 1); }

    private String refused(java.util.function.Consumer<GraphBuilder> build) {
        return assertThrows(IllegalArgumentException.class, () -> build.accept(fresh())).getMessage();
    }

    @Test
    void aConstantFirstSubtractsFromTheConstant() {
        GraphBuilder b = new GraphBuilder("g", Shape.of(2), backend, 1);
        Graph g = b.build(b.arithmetic("s", OpType.SUB, Graph.INPUT, backend.fromFloats(new float[] {10, 20}, Shape.of(2)), true, false));
        try (GraphPredictor p = new GraphPredictor(g, backend)) {
            assertArrayEquals(new float[] {9, 18, 7, 16}, p.logits(new float[] {1, 2, 3, 4}, 2));
        }
    }
}
