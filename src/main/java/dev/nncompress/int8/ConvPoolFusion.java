package dev.nncompress.int8;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.QWeight;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.NodeStep;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.PoolOps;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuses each int8 conv whose only reader is a max-pool into one {@code Backend.qconv2dMaxPool} step (a conv, ReLU,
 * max-pool chain: the teacher's conv2 and conv3), where the pool's windows tile the conv output
 * ({@link Int8Kernels#poolTilesOutput}): the host backends then pool in the conv's epilogue, and the conv's output,
 * four times the pool's, never goes through memory (int8speed: the teacher's two pools were 7-15 us of ~130 us CPU
 * per image). Bit-identical to the two steps. The conv's own step passes its input through, so the pool's step
 * reads the conv's input; the per-node time of the pair shows on the pool ({@code Int8Runner.millisPerNode}), and
 * {@code Int8Runner.trace} runs the unfused steps, so every node's traced value stays its own.
 */
final class ConvPoolFusion {
    private ConvPoolFusion() {}

    /** What an int8 conv step with int8 output calls {@code qconv2d} with. */
    record Conv(QWeight weight, float[] bias, Conv2dSpec spec, boolean relu, QParams out) {}

    /**
     * {@code steps} (one per node of {@code model}) with each fusable conv and max-pool pair replaced: the conv's
     * step by a pass-through of its input, the pool's by the fused op on it. {@code convs}: the convs with int8
     * output by node name.
     */
    static List<NodeStep> fuse(Int8Model model, List<NodeStep> steps, Map<String, Conv> convs) {
        List<Node> nodes = model.nodes();
        Map<String, Integer> readers = new HashMap<>();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            index.put(nodes.get(i).name(), i);
            for (String in : nodes.get(i).inputs()) readers.merge(in, 1, Integer::sum);
        }
        List<NodeStep> out = new ArrayList<>(steps);
        for (int i = 0; i < nodes.size(); i++) {
            Node pool = nodes.get(i);
            if (pool.op() != OpType.MAXPOOL2D || pool.inputs().size() != 1) continue;
            String convName = pool.inputs().get(0);
            Conv conv = convs.get(convName);
            if (conv == null || readers.get(convName) != 1 || convName.equals(model.output())) continue;
            Pool2dSpec spec = PoolOps.spec(pool);
            if (!Int8Kernels.poolTilesOutput(spec)) continue;
            out.set(index.get(convName), (node, in, ctx) -> in.get(0));
            out.set(i, Int8Steps.codes((x, b) -> b.qconv2dMaxPool(x.get(0).codes(), conv.weight(), conv.bias(), conv.spec(), conv.relu(), conv.out(), spec)));
        }
        return out;
    }
}
