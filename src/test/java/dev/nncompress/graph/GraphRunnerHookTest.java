package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link GraphRunner.OutputHook}: sees the input then every node in order; what it returns is what later nodes read. */
class GraphRunnerHookTest {
    private final Backend backend = new ReferenceBackend();

    @Test
    void hookSeesEveryTensorAndItsResultIsWhatLaterNodesRead() {
        Graph g = Models.student(backend, 1);
        float[] img = new float[2 * 28 * 28];
        for (int i = 0; i < img.length; i++) img[i] = (float) Math.sin(i);
        try (Tensor x = backend.fromFloats(img, Shape.of(2, 1, 28, 28));
             Tensor zeros = backend.fromFloats(new float[img.length], Shape.of(2, 1, 28, 28))) {
            List<String> seen = new ArrayList<>();
            float[] expected;
            try (GraphRunner r = new GraphRunner(g, backend, false, 0)) {
                expected = r.forward(zeros).toFloatArray();
            }
            try (GraphRunner r = new GraphRunner(g, backend, false, 0)) {
                // replacing the input by zeros must give the output of a pass on zeros
                float[] got = r.forward(x, (node, t) -> {
                    seen.add(node);
                    return node.equals(Graph.INPUT) ? backend.fromFloats(new float[t.numel()], t.shape()) : t;
                }).toFloatArray();
                assertArrayEquals(expected, got);
                assertArrayEquals(new float[img.length], r.output(Graph.INPUT).toFloatArray());
            }
            List<String> order = new ArrayList<>(List.of(Graph.INPUT));
            g.nodes().forEach(n -> order.add(n.name()));
            assertEquals(order, seen);
            assertArrayEquals(img, x.toFloatArray(), "the caller's input is not touched");
        }
    }
}
