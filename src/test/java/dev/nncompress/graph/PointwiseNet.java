package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;

import java.util.Map;

/**
 * A small network using every pointwise op: conv -> HardSwish -> squeeze-excitation (global pool, 1x1
 * convs, Sigmoid, broadcast MUL) -> constants subtracted, divided, multiplied (one trainable) and
 * subtracted from -> LeakyRelu -> Tanh -> Clip, added to a HardSigmoid branch, plus the gate, divided
 * by it, minus the HardSwish output -> flatten -> linear -> Softmax. Input [3, 6, 6].
 */
public final class PointwiseNet {
    private PointwiseNet() {}

    public static Graph build(Backend be, long seed) {
        GraphBuilder b = new GraphBuilder("pointwise", Shape.of(3, 6, 6), be, seed);
        String hs = b.activation("hs", OpType.HARD_SWISH, b.conv("c1", Graph.INPUT, 4, 3, 1, 1, true), Map.of());
        String gap = b.globalAvgPool("gap", hs);
        String se = b.relu("se_relu", b.conv("se1", gap, 2, 1, 1, 0, true));
        String gate = b.activation("gate", OpType.SIGMOID, b.conv("se2", se, 4, 1, 1, 0, true), Map.of());
        String m = b.arithmetic("se_mul", OpType.MUL, hs, gate);
        String s = b.arithmetic("sub_mean", OpType.SUB, m, be.fromFloats(new float[] {0.1f, -0.2f, 0.05f, 0.3f}, Shape.of(4, 1, 1)), false, false);
        String d = b.arithmetic("div_std", OpType.DIV, s, be.fromFloats(new float[] {0.5f, 0.8f, 1.5f, 2f}, Shape.of(1, 4, 1, 1)), false, false);
        String sc = b.arithmetic("scale", OpType.MUL, d, be.fromFloats(new float[] {1.5f, -0.7f, 0.9f, 1.1f}, Shape.of(4, 1, 1)), false, true);
        String rev = b.arithmetic("rev", OpType.SUB, sc, be.fromFloats(new float[] {0.2f, 0.1f, 0f, -0.1f, -0.2f, 0.3f}, Shape.of(6)), true, false);
        String lr = b.activation("lrelu", OpType.LEAKY_RELU, rev, Map.of("alpha", 0.1));
        String cl = b.activation("clip", OpType.CLIP, b.activation("tanh", OpType.TANH, lr, Map.of()), Map.of("min", -0.6, "max", 0.7));
        String hsg = b.activation("hsig", OpType.HARD_SIGMOID, m, Map.of("alpha", 0.3, "beta", 0.4));
        String sum = b.arithmetic("sum", OpType.ADD, cl, hsg);
        String plusGate = b.arithmetic("plus_gate", OpType.ADD, sum, gate);
        String ratio = b.arithmetic("ratio", OpType.DIV, plusGate, gate);
        String diff = b.arithmetic("diff", OpType.SUB, ratio, hs);
        String fc = b.linear("fc", b.flatten("flat", diff), 5);
        return b.build(b.softmax("probs", fc, -1));
    }
}
