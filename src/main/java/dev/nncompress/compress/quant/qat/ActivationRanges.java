package dev.nncompress.compress.quant.qat;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.quant.MovingAverageMinMaxObserver;
import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QRange;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.StateTensors;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * QAT's observed activation ranges: one moving-average min/max observer per observed tensor of
 * {@link QuantTargets}, started from a PTQ plan's ranges (so the first steps quantise with calibrated
 * ranges instead of one batch's), moved by every training batch before it is fake-quantised (torch's
 * FakeQuantize order: observe, then quantise with the updated parameters). Aliases (max-pool, flatten)
 * use their source's current parameters, as in the plan. The ranges are the state a QAT checkpoint carries
 * ({@code range/TENSOR/min}, {@code /max}, one value per channel).
 */
final class ActivationRanges {
    private final Map<String, MovingAverageMinMaxObserver> observers = new LinkedHashMap<>();
    private final Map<String, String> aliases;
    private final double averagingConstant;
    /** The activations' scheme (the targets' preset: affine, or TensorRT's symmetric). */
    private final dev.nncompress.quant.QScheme scheme;

    ActivationRanges(QuantTargets targets, QuantPlan start, double averagingConstant) {
        if (!start.graphName().equals(targets.graph().name())) {
            throw new IllegalArgumentException("QAT: the start plan is for graph " + start.graphName() + ", training graph " + targets.graph().name());
        }
        for (String t : targets.observedActivations()) {
            QParams p = start.activations().get(t);
            if (p == null) throw new IllegalArgumentException("QAT: the start plan has no activation parameters for '" + t + "' (made with other exclusions?)");
            if (!p.scheme().equals(targets.activationScheme())) {
                throw new IllegalArgumentException("QAT: activation '" + t + "' of the start plan is " + p.scheme() + ", expected " + targets.activationScheme());
            }
            observers.put(t, new MovingAverageMinMaxObserver(targets.activationScheme(), averagingConstant, startRange(p)));
        }
        this.aliases = targets.aliases();
        this.scheme = targets.activationScheme();
        this.averagingConstant = averagingConstant;
    }

    /**
     * The range that gives {@code p} back: the codes' range for an affine scheme; for a symmetric one (the TensorRT
     * preset) +-127.5 steps, since its scale is max|x| / 127.5 and the codes' range [-128, 127] steps would widen it.
     */
    private static QRange startRange(QParams p) {
        if (!p.scheme().symmetric()) return p.representableRange();
        float half = (p.scheme().dtype().steps() / 2f) * p.scale(0);
        return QRange.of(-half, half);
    }

    Map<String, TensorRecord> checkpointState() {
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        observers.forEach((t, o) -> {
            QRange r = o.range();
            out.put("range/" + t + "/min", StateTensors.record(r.mins(), r.mins().length));
            out.put("range/" + t + "/max", StateTensors.record(r.maxs(), r.maxs().length));
        });
        return out;
    }

    /** Continues every moving average from the checkpoint's range (same tensors, same channel counts, finite, min <= max). */
    void restoreCheckpointState(StateTensors state) {
        for (var e : observers.entrySet()) {
            String t = e.getKey();
            int channels = e.getValue().range().mins().length;
            QRange r = new QRange(state.floats("range/" + t + "/min", channels), state.floats("range/" + t + "/max", channels));
            // the constructor refuses min > max and non-finite values, naming the channel
            e.setValue(new MovingAverageMinMaxObserver(scheme, averagingConstant, r));
        }
    }

    /** The tensors QAT fake-quantises: the observed ones and their aliases. */
    Set<String> quantised() {
        Set<String> quantised = new HashSet<>(observers.keySet());
        quantised.addAll(aliases.keySet());
        return quantised;
    }

    /** The current parameters of every observed tensor. */
    Map<String, QParams> current() {
        Map<String, QParams> out = new LinkedHashMap<>();
        observers.forEach((t, o) -> out.put(t, o.qparams()));
        return out;
    }

    /**
     * As {@link #observeAndGet(String, float[], Shape)}, reading the values off the tensor only where an observer needs them:
     * for a per-tensor scheme only its min and max, in one pass on its backend where it has one ({@code Backend.finiteMinMax};
     * the same two numbers, so the same ranges), else all of them.
     */
    QParams observeAndGet(String node, Tensor value) {
        MovingAverageMinMaxObserver o = observers.get(node);
        if (o == null) return observeAndGet(node, null, value.shape());
        float[] mm = scheme.perChannel() ? null : Backend.of(value).finiteMinMax(value);
        if (mm == null) return observeAndGet(node, value.toFloatArray(), value.shape()); // also where a NaN or infinity is: observe names it
        o.observeMinMax(mm[0], mm[1]);
        return o.qparams();
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
