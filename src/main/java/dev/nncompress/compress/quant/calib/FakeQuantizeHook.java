package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Fake-quantises node outputs in forward ({@link QParams#fakeQuantize}, i.e. {@code QuantArithmetic.fakeQuantizeS8})
 * and, in backward, applies the straight-through estimator: the gradient passes where the forward's code was
 * inside the type's range and is zero where it was clamped ({@link QuantArithmetic#fakeQuantizeS8Backward}).
 * Simulated int8 uses it with a fixed plan; QAT with ranges that are updated as the values pass.
 *
 * <p>Keeps the masks of the last forward, so use one instance per runner at a time. Values round-trip
 * through the host ({@code toFloatArray}).
 */
public final class FakeQuantizeHook implements GraphRunner.OutputHook {
    /** Which parameters to fake-quantise a tensor with. */
    @FunctionalInterface
    public interface ParamsSource {
        /** @param values the tensor's float values (QAT's observers see them here, before quantisation) */
        QParams paramsFor(String node, float[] values, Shape shape);
    }

    private final Set<String> quantised;
    private final ParamsSource source;
    private final Map<String, byte[]> inRange = new HashMap<>();

    /** @param quantised the tensors (graph input, node names) to fake-quantise; the others stay float and are not copied */
    public FakeQuantizeHook(Set<String> quantised, ParamsSource source) {
        this.quantised = Set.copyOf(quantised);
        this.source = source;
    }

    /** Fixed parameters per tensor (a {@link QuantPlan}'s activations). */
    public static FakeQuantizeHook of(Map<String, QParams> activations) {
        return new FakeQuantizeHook(activations.keySet(), (node, v, s) -> activations.get(node));
    }

    @Override
    public Tensor apply(String node, Tensor t) {
        inRange.remove(node);
        if (!quantised.contains(node)) return t;
        float[] v = t.toFloatArray();
        QParams p = source.paramsFor(node, v, t.shape());
        if (p == null) throw new IllegalStateException("no quantisation parameters for '" + node + "'");
        byte[] mask = new byte[v.length];
        Tensor q = Backend.of(t).fromFloats(p.fakeQuantize(v, t.shape(), mask), t.shape());
        inRange.put(node, mask);
        return q;
    }

    @Override
    public Tensor gradient(String node, Tensor grad) {
        byte[] mask = inRange.get(node);
        if (mask == null) return grad; // not quantised: the hook did not touch the value
        return Backend.of(grad).fromFloats(QuantArithmetic.fakeQuantizeS8Backward(grad.toFloatArray(), mask), grad.shape());
    }
}
