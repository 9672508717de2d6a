package dev.nncompress.compress.prepare;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared helpers of the graph-pass tests: random inputs and statistics, inference runs, snapshots. */
public final class PrepareFixtures {
    private PrepareFixtures() {}

    static Tensor randomInput(Backend b, Graph g, int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] dims = new int[g.inputShape().rank() + 1];
        dims[0] = batch;
        for (int i = 0; i < g.inputShape().rank(); i++) dims[i + 1] = g.inputShape().dim(i);
        Shape s = Shape.of(dims);
        float[] v = new float[s.numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
        return b.fromFloats(v, s);
    }

    static float[] infer(Graph g, Backend b, Tensor x) {
        try (GraphRunner run = new GraphRunner(g, b, false, 0)) {
            return run.forward(x).toFloatArray();
        }
    }

    /**
     * Gives every batch norm statistics far from the identity it starts with (gamma of both signs,
     * small and large variances), so that a wrong fold cannot hide behind gamma=1, mean=0, var=1.
     */
    static void randomizeBatchNorms(Graph g, Backend b, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Node n : g.nodes()) {
            if (n.op() != OpType.BATCHNORM2D) continue;
            int c = g.param(n.paramName("weight")).value().numel();
            set(g, b, n.paramName("weight"), c, () -> (rng.nextBoolean() ? 1 : -1) * rng.nextDouble(0.3, 2.0));
            set(g, b, n.paramName("bias"), c, () -> rng.nextDouble(-0.5, 0.5));
            set(g, b, n.paramName("running_mean"), c, () -> rng.nextDouble(-0.3, 0.3));
            set(g, b, n.paramName("running_var"), c, () -> Math.exp(rng.nextDouble(Math.log(0.01), Math.log(3))));
        }
    }

    private static void set(Graph g, Backend b, String name, int c, java.util.function.DoubleSupplier gen) {
        float[] v = new float[c];
        for (int i = 0; i < c; i++) v[i] = (float) gen.getAsDouble();
        g.param(name).setValue(b.fromFloats(v, Shape.of(c)));
    }

    static Map<String, float[]> snapshot(Graph g) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Parameter p : g.params().values()) out.put(p.name(), p.value().toFloatArray());
        return out;
    }

    static void assertParamsEqual(Map<String, float[]> expected, Graph g) {
        assertEquals(expected.keySet(), g.params().keySet());
        for (var e : expected.entrySet()) assertArrayEquals(e.getValue(), g.param(e.getKey()).value().toFloatArray(), 0f, e.getKey());
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "output sizes");
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    /**
     * max |expected - actual| <= relTol * max |expected|, with a non-zero scale so the comparison cannot pass vacuously.
     * Folding is exact in real arithmetic; in float it moves outputs by rounding only. NaN-sticky: Math.max keeps a NaN
     * from either side, so the final {@code <=} fails (CloseRelativeNanTest); the pruning tests use it too.
     */
    public static void assertCloseRelative(float[] expected, float[] actual, double relTol, String what) {
        double scale = maxAbs(expected);
        assertTrue(scale > 0, what + ": all-zero output would make the comparison vacuous");
        double diff = maxAbsDiff(expected, actual);
        assertTrue(diff <= relTol * scale, what + ": max |diff| " + diff + " > " + relTol + " * max |output| " + scale);
    }

    static long count(Graph g, OpType op) { return g.nodes().stream().filter(n -> n.op() == op).count(); }
}
