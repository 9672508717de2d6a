package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pieces of {@link GraphGradientCheck} that decide pass or fail: NaN-sticky coordinates, sampling without replacement. */
class GraphGradientCheckTest {
    @Test
    void aNanOnEitherSideFailsAndAMatchPasses() {
        GraphGradientCheck.assertCoordinate("match", 0.5, 0.505);
        assertThrows(AssertionError.class, () -> GraphGradientCheck.assertCoordinate("analytic NaN", 0.5, Double.NaN));
        assertThrows(AssertionError.class, () -> GraphGradientCheck.assertCoordinate("numeric NaN", Double.NaN, 0.5));
        assertThrows(AssertionError.class, () -> GraphGradientCheck.assertCoordinate("both NaN", Double.NaN, Double.NaN));
        assertThrows(AssertionError.class, () -> GraphGradientCheck.assertCoordinate("infinite", Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY));
        assertThrows(AssertionError.class, () -> GraphGradientCheck.assertCoordinate("dropped", 0.01, 0.0));
    }

    /**
     * A zero input gives the weights of a linear layer an exact-zero gradient: every weight coordinate matches its finite
     * difference (0 = 0), which the old count called checked. Only the 3 bias coordinates are informative, so asking
     * for 4 must fail.
     */
    @Test
    void exactZeroGradientsDoNotCountAsChecked() {
        Backend b = new ReferenceBackend();
        GraphBuilder gb = new GraphBuilder("zeros", Shape.of(1, 4, 4), b, 1);
        Graph g = gb.build(gb.linear("fc", gb.flatten("flat", Graph.INPUT), 3));
        Tensor x = b.fromFloats(new float[2 * 16], Shape.of(2, 1, 4, 4));
        int[] labels = {0, 2};
        assertEquals(3, GraphGradientCheck.check(g, b, x, labels, 1, new SplittableRandom(2), 5, 3));
        AssertionError e = assertThrows(AssertionError.class, () -> GraphGradientCheck.check(g, b, x, labels, 1, new SplittableRandom(2), 5, 4));
        assertTrue(e.getMessage().contains("only 3 of 8 compared coordinates"), e.getMessage());
    }

    @Test
    void samplesAreDistinctAndCoverSmallTensors() {
        SplittableRandom rng = new SplittableRandom(1);
        int[] some = GraphGradientCheck.distinct(rng, 10, 6);
        assertEquals(6, Arrays.stream(some).distinct().count(), Arrays.toString(some));
        int[] all = GraphGradientCheck.distinct(rng, 5, 5);
        Arrays.sort(all);
        assertEquals("[0, 1, 2, 3, 4]", Arrays.toString(all), "a tensor no larger than the sample is compared whole");
    }
}
