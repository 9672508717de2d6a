package dev.nncompress.compress.quant.qat;

import dev.nncompress.compress.quant.MovingAverageMinMaxObserver;
import dev.nncompress.compress.quant.QParams;
import dev.nncompress.compress.quant.calib.FakeQuantizeHook;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.tensor.Shape;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * QAT's observed activation ranges: one moving-average min/max observer per observed tensor of
 * {@link QuantTargets}, started from a PTQ plan's ranges (so the first steps quantise with calibrated
 * ranges instead of one batch's), moved by every training batch before it is fake-quantised (torch's
 * FakeQuantize order: observe, then quantise with the updated parameters). Aliases (max-pool, flatten)
 * use their source's current parameters, as in the plan.
 */
final class ActivationRanges {
    private final Map<String, MovingAverageMinMaxObserver> observers = new LinkedHashMap<>();
    private final Map<String, String> aliases;

    ActivationRanges(QuantTargets targets, QuantPlan start, double averagingConstant) {
        if (!start.graphName().equals(targets.graph().name())) {
            throw new IllegalArgumentException("QAT: the start plan is for graph " + start.graphName() + ", training graph " + targets.graph().name());
        }
        for (String t : targets.observedActivations()) {
            QParams p = start.activations().get(t);
            if (p == null) throw new IllegalArgumentException("QAT: the start plan has no activation parameters for '" + t + "' (made with other exclusions?)");
            if (!p.scheme().equals(QuantTargets.ACTIVATION_SCHEME)) {
                throw new IllegalArgumentException("QAT: activation '" + t + "' of the start plan is " + p.scheme() + ", expected " + QuantTargets.ACTIVATION_SCHEME);
            }
            observers.put(t, new MovingAverageMinMaxObserver(QuantTargets.ACTIVATION_SCHEME, averagingConstant, p.representableRange()));
        }
        this.aliases = targets.aliases();
    }

    /** Training: every observed tensor moves its range, then is fake-quantised with the result. */
    FakeQuantizeHook observingHook() { return new FakeQuantizeHook(this::observeAndGet); }

    /** The current parameters of every observed tensor. */
    Map<String, QParams> current() {
        Map<String, QParams> out = new LinkedHashMap<>();
        observers.forEach((t, o) -> out.put(t, o.qparams()));
        return out;
    }

    /** Parameters to fake-quantise {@code node}'s output with after observing it; null: float. */
    QParams observeAndGet(String node, float[] values, Shape shape) {
        MovingAverageMinMaxObserver o = observers.get(node);
        if (o != null) {
            o.observe(values, shape);
            return o.qparams();
        }
        String source = aliases.get(node);
        return source == null ? null : observers.get(source).qparams();
    }
}
