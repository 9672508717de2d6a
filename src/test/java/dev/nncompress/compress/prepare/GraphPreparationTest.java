package dev.nncompress.compress.prepare;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.io.ModelIO;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.nncompress.compress.prepare.PrepareFixtures.assertCloseRelative;
import static dev.nncompress.compress.prepare.PrepareFixtures.assertParamsEqual;
import static dev.nncompress.compress.prepare.PrepareFixtures.count;
import static dev.nncompress.compress.prepare.PrepareFixtures.infer;
import static dev.nncompress.compress.prepare.PrepareFixtures.randomInput;
import static dev.nncompress.compress.prepare.PrepareFixtures.randomizeBatchNorms;
import static dev.nncompress.compress.prepare.PrepareFixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link GraphPreparation#forInference} on the built-in models, on the reference backend. */
class GraphPreparationTest {
    /**
     * Folding changes the float rounding of every conv that had a BN: measured max |diff| / max |output|
     * is ~1e-7 on resnet8 with the statistics of {@link PrepareFixtures#randomizeBatchNorms}; 1e-5 leaves
     * two decades of margin while a wrong channel, sign or eps would show as O(1e-1) or more.
     */
    private static final double FOLD_REL_TOL = 1e-5;
    private final Backend backend = new ReferenceBackend();
    @TempDir Path dir;

    @Test
    void resnet8FoldsEveryBatchNormAndComputesTheSameFunction() {
        Graph g = Models.resnet8(backend, 3);
        randomizeBatchNorms(g, backend, 11);
        List<Node> nodesBefore = g.nodes();
        Map<String, float[]> paramsBefore = snapshot(g);
        Tensor x = randomInput(backend, g, 4, 5);
        float[] expected = infer(g, backend, x);

        PreparedGraph p = GraphPreparation.forInference(g);

        // 31 nodes: 9 BNs fold away, then the 4 ReLUs that follow a conv (stem, and relu1 of each
        // block) fuse; the 3 ReLUs after a residual add stay, as does everything else
        assertEquals(31, nodesBefore.size());
        assertEquals(9, count(g, OpType.BATCHNORM2D));
        assertEquals(31 - 9 - 4, p.graph().nodes().size());
        assertEquals(0, count(p.graph(), OpType.BATCHNORM2D));
        assertEquals(3, count(p.graph(), OpType.RELU));
        for (Node n : p.graph().nodes()) {
            if (n.op() == OpType.RELU) assertEquals(OpType.ADD, p.graph().node(n.inputs().get(0)).op(), n.name());
        }
        assertEquals(Set.of("stem_conv", "layer1_conv1", "layer2_conv1", "layer3_conv1"),
                p.graph().nodes().stream().filter(FusedRelu::on).map(Node::name).collect(Collectors.toSet()));
        assertEquals(9, p.report().folded().size());
        assertEquals(4, p.report().fused().size());
        assertEquals(3, p.report().skipped().size(), p.report().toString());
        assertTrue(p.report().folded().contains(new Merge("layer2_down_conv", "layer2_down_bn")), p.report().toString());
        // every conv now has a bias (the folded shift) and no BN parameter survives
        for (Node n : p.graph().nodes()) {
            if (n.op() == OpType.CONV2D) assertTrue(p.graph().params().containsKey(n.paramName("bias")), n.name());
        }
        assertTrue(p.graph().params().keySet().stream().noneMatch(k -> k.contains("_bn")));

        assertCloseRelative(expected, infer(p.graph(), backend, x), FOLD_REL_TOL, "resnet8 prepared vs original");

        // the original is untouched and still computes exactly what it did
        assertEquals(nodesBefore, g.nodes());
        assertParamsEqual(paramsBefore, g);
        assertArrayEquals(expected, infer(g, backend, x), 0f);
    }

    /** The BN-free models only fuse ReLUs, which changes no arithmetic: outputs are bit-identical. */
    @Test
    void studentLenetAndTeacherFuseEveryReluThatFollowsAConvOrLinear() {
        Map<String, int[]> nodesBeforeAfter = Map.of("student", new int[] {10, 7}, "lenet5", new int[] {12, 8},
                "teacher", new int[] {12, 8});
        for (var e : nodesBeforeAfter.entrySet()) {
            Graph g = Models.byName(e.getKey(), backend, 2);
            Tensor x = randomInput(backend, g, 3, 7);
            float[] expected = infer(g, backend, x);
            PreparedGraph p = GraphPreparation.forInference(g);
            assertEquals(e.getValue()[0], g.nodes().size(), e.getKey());
            assertEquals(e.getValue()[1], p.graph().nodes().size(), e.getKey());
            assertEquals(0, count(p.graph(), OpType.RELU), e.getKey());
            assertEquals(count(g, OpType.RELU), p.report().fused().size(), e.getKey());
            assertTrue(p.report().folded().isEmpty() && p.report().skipped().isEmpty(), p.report().toString());
            assertArrayEquals(expected, infer(p.graph(), backend, x), 0f, e.getKey());
            assertEquals(g.parameterCount(), p.graph().parameterCount(), e.getKey());
        }
    }

    @Test
    void preparedGraphSavesAndLoadsWithItsFusedReluAttributes() {
        Graph g = Models.resnet8(backend, 4);
        randomizeBatchNorms(g, backend, 12);
        Graph prepared = GraphPreparation.forInference(g).graph();
        Path f = dir.resolve("prepared.safetensors");
        ModelIO.save(prepared, f, Map.of());
        Graph loaded = ModelIO.load(f, backend).graph();

        assertEquals(prepared.nodes(), loaded.nodes());
        assertEquals(prepared.output(), loaded.output());
        assertParamsEqual(snapshot(prepared), loaded);
        assertEquals(1.0, loaded.node("stem_conv").attrs().get(FusedRelu.ATTR));
        Tensor x = randomInput(backend, g, 2, 9);
        assertArrayEquals(infer(prepared, backend, x), infer(loaded, backend, x), 0f);
    }

    @Test
    void reportListsEveryRewriteAndSkip() {
        PreparationReport r = GraphPreparation.forInference(Models.resnet8(backend, 0)).report();
        List<String> lines = r.lines();
        assertEquals("folded 9 batch norm(s), fused 4 ReLU(s), skipped 3", lines.get(0));
        assertTrue(lines.contains("  fold  stem_bn into stem_conv"), String.join("\n", lines));
        assertTrue(lines.contains("  fuse  stem_relu into stem_conv"), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("  skip  layer1_relu2: reads layer1_add (ADD)")), String.join("\n", lines));
        assertEquals(1 + 9 + 4 + 3, lines.size());
    }
}
