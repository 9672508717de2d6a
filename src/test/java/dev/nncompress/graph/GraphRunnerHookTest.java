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

    /**
     * In backward the hook sees each node's output gradient (reverse order) before that node's backward; a
     * hook that zeroes fc1's gradient leaves fc2's parameter gradients as without a hook and zeroes fc1's
     * and everything before it.
     */
    @Test
    void gradientHookRewritesWhatTheNodesBackwardReads() {
        Graph g = Models.student(backend, 1);
        float[] img = new float[2 * 28 * 28];
        for (int i = 0; i < img.length; i++) img[i] = (float) Math.cos(0.37 * i);
        try (Tensor x = backend.fromFloats(img, Shape.of(2, 1, 28, 28));
             Tensor ones = backend.fromFloats(new float[] {1, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, Shape.of(2, 10))) {
            try (GraphRunner r = new GraphRunner(g, backend, true, 0)) {
                r.forward(x);
                r.backward(ones);
            }
            float[] fc2Plain = g.param("fc2.weight").grad().toFloatArray();
            g.trainableParams().forEach(Parameter::clearGrad);

            List<String> seen = new ArrayList<>();
            GraphRunner.OutputHook zeroFc1 = new GraphRunner.OutputHook() {
                @Override public Tensor apply(String node, Tensor t) { return t; }

                @Override public Tensor gradient(String node, Tensor grad) {
                    seen.add(node);
                    return node.equals("fc1") ? backend.fromFloats(new float[(int) grad.numel()], grad.shape()) : grad;
                }
            };
            try (GraphRunner r = new GraphRunner(g, backend, true, 0)) {
                r.forward(x, zeroFc1);
                r.backward(ones, zeroFc1);
            }
            List<String> reverse = new ArrayList<>();
            g.nodes().forEach(n -> reverse.add(0, n.name()));
            assertEquals(reverse, seen, "every node, output first; never the graph input");
            assertArrayEquals(fc2Plain, g.param("fc2.weight").grad().toFloatArray());
            for (String p : List.of("fc1.weight", "fc1.bias", "conv2.weight", "conv1.weight")) {
                for (float v : g.param(p).grad().toFloatArray()) assertEquals(0f, v, 0f, p);
            }
            g.trainableParams().forEach(Parameter::clearGrad);
        }
    }
}
