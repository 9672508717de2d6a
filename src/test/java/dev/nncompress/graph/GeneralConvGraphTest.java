package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.io.ModelIO;
import dev.nncompress.models.ConvFamilyModels;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONV2D with issue 17's attributes as a graph op: its attribute ranges, shape checks, JSON round trip
 * (plain convs keep exactly their old attributes), and the whole-network gradient through a depthwise
 * and a grouped dilated conv against central finite differences.
 */
class GeneralConvGraphTest {
    private final Backend backend = new ReferenceBackend();
    @TempDir Path tmp;

    @Test
    void attributesRoundTripThroughTheModelFileAndPlainConvsKeepTheirOldForm() {
        Graph g = ConvFamilyModels.mixed(backend, 1);
        Path file = tmp.resolve("m.safetensors");
        ModelIO.save(g, file, Map.of());
        Graph back = ModelIO.load(file, backend).graph();
        assertEquals(g.nodes(), back.nodes());
        // Conv2dSpec(strideH, strideW, top, left, bottom, right, dilationH, dilationW, groups)
        assertEquals(new Conv2dSpec(1, 1, 1, 0, 1, 2, 1, 1, 4), Conv2dOp.spec(back.node("dw")));
        assertEquals(new Conv2dSpec(2, 2, 2, 2, 2, 2, 2, 2, 2), Conv2dOp.spec(back.node("gc")));
        assertEquals(Map.of("stride_h", 1.0, "stride_w", 1.0, "pad_h", 1.0, "pad_w", 1.0), g.node("stem").attrs());
        assertEquals(Map.of("stride_h", 1.0, "stride_w", 1.0, "pad_h", 1.0, "pad_w", 0.0, "pad_right", 2.0, "groups", 4.0), g.node("dw").attrs());
    }

    @Test
    void attributeRangesAndShapesAreChecked() {
        Map<String, Double> base = Map.of("stride_h", 1.0, "stride_w", 1.0, "pad_h", 0.0, "pad_w", 0.0);
        for (String[] bad : new String[][] {{"groups", "0"}, {"dilation_h", "0"}, {"pad_bottom", "-1"}, {"pad_right", "1025"}, {"groups", "2.5"}}) {
            Map<String, Double> a = new java.util.HashMap<>(base);
            a.put(bad[0], Double.parseDouble(bad[1]));
            String msg = assertThrows(IllegalArgumentException.class, () -> new Node("c", OpType.CONV2D, List.of(Graph.INPUT), a)).getMessage();
            assertTrue(msg.contains("attribute " + bad[0]), msg);
        }
        // 3 groups do not divide 4 input channels; a dilated pad beyond its extent
        assertTrue(shapeError(Map.of("groups", 3.0), 6, 1).contains("expects [O, 1, kH, kW] with O a multiple of 3"));
        assertTrue(shapeError(Map.of("pad_bottom", 3.0), 4, 4).contains("pad_bottom = 3 must be smaller than the kernel height 3"));
        assertFalse(shapeError(Map.of("pad_bottom", 3.0, "dilation_h", 2.0), 4, 4).contains("pad_bottom"), "dilated extent 5");
    }

    /** Shape inference of a conv on a [4, 8, 8] input with weight [o, c, 3, 3] and the given extra attributes; its message, or "". */
    private String shapeError(Map<String, Double> extra, int o, int c) {
        Map<String, Double> a = new java.util.HashMap<>(Map.of("stride_h", 1.0, "stride_w", 1.0, "pad_h", 1.0, "pad_w", 1.0));
        a.putAll(extra);
        Node n = new Node("c", OpType.CONV2D, List.of(Graph.INPUT), a);
        Parameter w = new Parameter("c.weight", backend.zeros(Shape.of(o, c, 3, 3)), true);
        try {
            new Graph("g", Shape.of(4, 8, 8), List.of(n), "c", Map.of("c.weight", w)).inferShapes();
            return "";
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    @Test
    void wholeNetworkGradientMatchesFiniteDifferences() {
        Graph g = ConvFamilyModels.mixed(backend, 7);
        SplittableRandom rng = new SplittableRandom(5);
        float[] input = new float[3 * 4 * 9 * 8];
        for (int i = 0; i < input.length; i++) input[i] = (float) rng.nextGaussian();
        Tensor x = backend.fromFloats(input, Shape.of(3, 4, 9, 8));
        int[] labels = {2, 0, 1};
        GraphGradientCheck.check(g, backend, x, labels, 99, rng, 5, 32); // 40 of 52 above the noise floor
    }

}
