package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BackendContractTest;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.io.ModelIO;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shapes family's graph ops in a whole network: two conv branches and their input concatenated,
 * a ceil-mode max-pool, an asymmetric padded average pool counting its padding, a mean over one dim,
 * a reshape and a flatten before a linear. Parameter gradients through all of them agree with finite
 * differences (as {@link GraphGradientTest}), the CPU backend agrees with the reference, the model file
 * keeps every attribute, and crafted attributes are refused with the node's name.
 */
class ShapeOpsGraphTest {
    private final Backend ref = new ReferenceBackend();
    @TempDir Path tmp;

    static Graph net(Backend backend) {
        GraphBuilder b = new GraphBuilder("shapes", Shape.of(2, 8, 7), backend, 5);
        String c1 = b.relu("r1", b.conv("c1", Graph.INPUT, 4, 3, 1, 1, true));
        String e1 = b.conv("e1", c1, 3, 1, 1, 0, true);
        String e3 = b.conv("e3", c1, 5, 3, 1, 1, true);
        String cat = b.op("cat", OpType.CONCAT, List.of(e1, e3, c1), Map.of("axis", 0.0)); // c1 read twice: gradients add
        String mp = b.op("mp", OpType.MAXPOOL2D, List.of(cat), Map.of("kernel_h", 3.0, "kernel_w", 3.0, "stride_h", 2.0, "stride_w", 2.0,
                "pad_h", 0.0, "pad_w", 0.0, "ceil_mode", 1.0)); // [12, 8, 7] -> [12, 4, 3]: the last row window overhangs
        String ap = b.op("ap", OpType.AVGPOOL2D, List.of(mp), Map.of("kernel_h", 3.0, "kernel_w", 3.0, "stride_h", 1.0, "stride_w", 1.0,
                "pad_h", 1.0, "pad_w", 0.0, "pad_bottom", 1.0, "pad_right", 1.0, "count_include_pad", 1.0)); // -> [12, 4, 2]
        String rm = b.op("rm", OpType.REDUCE_MEAN, List.of(ap), Map.of("axis", 2.0, "count", 1.0, "keepdims", 0.0)); // -> [12, 4]
        String rs = b.op("rs", OpType.RESHAPE, List.of(rm), Map.of("dim0", 6.0, "dim1", -1.0)); // -> [6, 8]
        return b.build(b.linear("fc", b.flatten("fl", rs), 3));
    }

    private static float[] input(int n) {
        SplittableRandom rng = new SplittableRandom(3);
        float[] x = new float[n * 2 * 8 * 7];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        return x;
    }

    @Test
    void shapesAreInferredThroughEveryOp() {
        Map<String, Shape> s = net(ref).inferShapes();
        assertEquals(Shape.of(12, 8, 7), s.get("cat"));
        assertEquals(Shape.of(12, 4, 3), s.get("mp"));
        assertEquals(Shape.of(12, 4, 2), s.get("ap"));
        assertEquals(Shape.of(12, 4), s.get("rm"));
        assertEquals(Shape.of(6, 8), s.get("rs"));
    }

    @Test
    void everyParameterGradientMatchesFiniteDifferences() {
        Graph g = net(ref);
        Tensor x = ref.fromFloats(input(3), Shape.of(3, 2, 8, 7));
        int[] labels = {0, 2, 1};
        GraphGradientCheck.check(g, ref, x, labels, 99, new SplittableRandom(4), 5, 20); // 25 of 35 above the noise floor
    }

    /** The same network on the CPU backend: logits and every parameter gradient within float summation noise. */
    @Test
    void cpuAgreesWithTheReference() {
        Backend cpu = new CpuBackend();
        Graph r = net(ref), c = net(cpu);
        float[] in = input(4);
        int[] labels = {0, 1, 2, 1};
        float lr = GraphGradientCheck.loss(r, ref, ref.fromFloats(in, Shape.of(4, 2, 8, 7)), labels, true, 99);
        float lc = GraphGradientCheck.loss(c, cpu, cpu.fromFloats(in, Shape.of(4, 2, 8, 7)), labels, true, 99);
        assertEquals(lr, lc, 1e-5 * Math.max(1, Math.abs(lr)));
        for (Parameter p : r.trainableParams()) {
            // float conv and linear sums against double ones (CpuBackendTest's conv tolerance)
            BackendContractTest.near(p.name() + " grad", p.grad(), ref.fromFloats(c.param(p.name()).grad().toFloatArray(), p.grad().shape()), 1e-4);
        }
    }

    @Test
    void theModelFileKeepsEveryAttribute() {
        Graph g = net(ref);
        Path file = tmp.resolve("shapes.safetensors");
        ModelIO.save(g, file, Map.of());
        Graph back = ModelIO.load(file, ref).graph();
        assertEquals(g.nodes(), back.nodes());
        float[] in = input(2);
        try (GraphPredictor a = new GraphPredictor(g, ref); GraphPredictor b = new GraphPredictor(back, ref)) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.logits(in, 2), b.logits(in, 2));
        }
    }

    private static String refused(OpType op, List<String> inputs, Map<String, Double> attrs, Shape input) {
        List<Node> nodes = new ArrayList<>(List.of(new Node("n", op, inputs, attrs)));
        return assertThrows(IllegalArgumentException.class, () -> new Graph("g", input, nodes, "n", Map.of())).getMessage();
    }

    @Test
    void attributesThatDoNotFitAreRefusedNamingTheNode() {
        Shape x = Shape.of(3, 8, 8);
        String m = refused(OpType.RESHAPE, List.of(Graph.INPUT), Map.of("dim0", 5.0, "dim1", -1.0), x);
        assertEquals("graph g, node n: RESHAPE cannot view [3, 8, 8] (192 values per sample) as [5, -1]", m);
        m = refused(OpType.RESHAPE, List.of(Graph.INPUT), Map.of("dim0", -1.0, "dim2", 3.0), x);
        assertTrue(m.endsWith("RESHAPE has dim2 but no dim1; dims are consecutive"), m);
        m = refused(OpType.RESHAPE, List.of(Graph.INPUT), Map.of("dim0", 0.0), x);
        assertTrue(m.endsWith("RESHAPE dim0 is 0; a dim is >= 1, or -1 to infer"), m);
        m = refused(OpType.CONCAT, List.of(Graph.INPUT), Map.of("axis", 0.0), x);
        assertTrue(m.endsWith("CONCAT takes at least 2 inputs, got 1"), m);
        m = refused(OpType.CONCAT, List.of(Graph.INPUT, Graph.INPUT), Map.of("axis", 3.0), x);
        assertTrue(m.endsWith("axis 3 is outside the rank-3 part [3, 8, 8]"), m);
        m = refused(OpType.REDUCE_MEAN, List.of(Graph.INPUT), Map.of("axis", 0.0, "count", 3.0), x);
        assertTrue(m.endsWith("REDUCE_MEAN without keepdims reduces every dim of [3, 8, 8]; keep one"), m);
        m = refused(OpType.MAXPOOL2D, List.of(Graph.INPUT), Map.of("kernel_h", 2.0, "kernel_w", 2.0, "stride_h", 2.0, "stride_w", 2.0,
                "pad_h", 0.0, "pad_w", 0.0, "pad_bottom", 2.0), x);
        assertTrue(m.contains("pool padding must be in [0, kernel - 1] on each side, got top 0, left 0, bottom 2, right 0"), m);
        m = assertThrows(IllegalArgumentException.class, () -> new Node("n", OpType.MAXPOOL2D, List.of(Graph.INPUT), Map.of("kernel_h", 2.0,
                "kernel_w", 2.0, "stride_h", 2.0, "stride_w", 2.0, "pad_h", 0.0, "pad_w", 0.0, "count_include_pad", 1.0))).getMessage();
        assertTrue(m.startsWith("node n (MAXPOOL2D): unknown attribute 'count_include_pad'"), m);
        m = assertThrows(IllegalArgumentException.class, () -> new Node("n", OpType.RESHAPE, List.of(Graph.INPUT), Map.of("dim0", -2.0))).getMessage();
        assertEquals("node n (RESHAPE): attribute dim0 = -2 is not an integer in [-1, 16777216]", m);
    }
}
