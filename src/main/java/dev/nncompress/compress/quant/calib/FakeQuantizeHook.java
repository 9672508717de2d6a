package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.FakeQuantMask;
import dev.nncompress.backend.FakeQuantResult;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.tensor.Tensor;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Fake-quantises node outputs in forward and, in backward, applies the straight-through estimator: the gradient
 * passes where the forward's code was inside the type's range and is zero where it was clamped. Both run as the
 * backend's ops ({@code Backend.fakeQuantize}, {@code fakeQuantizeBackward}: on CUDA the fake-quantise kernels), so
 * the values stay where the runner keeps them. Simulated int8 uses it with a fixed plan; QAT with ranges that are
 * updated as the values pass (its observers read the values on the host, the arithmetic does not).
 *
 * <p>Keeps the masks of the last forward until their gradient has been masked (or the next forward), so use one
 * instance per runner at a time; close it to free the masks a backward did not consume (the graph input's).
 */
public final class FakeQuantizeHook implements GraphRunner.OutputHook, AutoCloseable {
    /** Which parameters to fake-quantise a tensor with. */
    @FunctionalInterface
    public interface ParamsSource {
        /** @param value the tensor, not owned (QAT's observers read it here, before quantisation) */
        QParams paramsFor(String node, Tensor value);
    }

    private final Set<String> quantised;
    /** Quantised tensors already on their parameters' grid ({@link QuantTargets#gridPreservingAliases()}): asked for, not rewritten. */
    private final Set<String> onGrid;
    private final ParamsSource source;
    private final Map<String, FakeQuantMask> inRange = new HashMap<>();
    /** False for inference: each mask is freed as soon as it is made (device memory on CUDA), and a backward is refused. */
    private final boolean keepMasks;

    /** @param quantised the tensors (graph input, node names) to fake-quantise; the others stay float and are not copied */
    public FakeQuantizeHook(Set<String> quantised, ParamsSource source) { this(quantised, Set.of(), source, true); }

    /**
     * As {@link #FakeQuantizeHook(Set, ParamsSource)}, leaving the tensors of {@code onGrid} (some of {@code quantised})
     * as they are, where fake quantisation would be the identity bit for bit ({@link QuantTargets#gridPreservingAliases()}):
     * their parameters are still asked for (QAT's int32 bias grids follow them), but no copy, no mask, no backward pass.
     */
    public FakeQuantizeHook(Set<String> quantised, Set<String> onGrid, ParamsSource source) { this(quantised, onGrid, source, true); }

    private FakeQuantizeHook(Set<String> quantised, Set<String> onGrid, ParamsSource source, boolean keepMasks) {
        if (!quantised.containsAll(onGrid)) throw new IllegalArgumentException("tensors on the grid must be quantised ones: " + onGrid);
        this.onGrid = Set.copyOf(onGrid);
        this.quantised = Set.copyOf(quantised);
        this.source = source;
        this.keepMasks = keepMasks;
    }

    /** Fixed parameters per tensor (a {@link QuantPlan}'s activations). */
    public static FakeQuantizeHook of(Map<String, QParams> activations) {
        return new FakeQuantizeHook(activations.keySet(), (node, v) -> activations.get(node));
    }

    /** As {@link #of}, for forward passes only (simulated int8 inference): keeps no masks, so it needs no closing. */
    public static FakeQuantizeHook forInference(Map<String, QParams> activations) {
        return new FakeQuantizeHook(activations.keySet(), Set.of(), (node, v) -> activations.get(node), false);
    }

    @Override
    public Tensor apply(String node, Tensor t) {
        FakeQuantMask old = inRange.remove(node);
        if (old != null) old.close();
        if (!quantised.contains(node)) return t;
        QParams p = source.paramsFor(node, t);
        if (p == null) throw new IllegalStateException("no quantisation parameters for '" + node + "'");
        if (onGrid.contains(node)) return t;
        FakeQuantResult r = Backend.of(t).fakeQuantize(t, p);
        if (keepMasks) inRange.put(node, r.inRange());
        else r.inRange().close();
        return r.output();
    }

    @Override
    public Tensor gradient(String node, Tensor grad) {
        if (!keepMasks && quantised.contains(node)) throw new IllegalStateException("an inference fake-quantisation hook kept no mask for '" + node + "' to take a gradient through");
        FakeQuantMask mask = inRange.remove(node);
        if (mask == null) return grad; // not quantised: the hook did not touch the value
        try (mask) {
            return Backend.of(grad).fakeQuantizeBackward(grad, mask);
        }
    }

    @Override
    public void close() {
        inRange.values().forEach(FakeQuantMask::close);
        inRange.clear();
    }
}
