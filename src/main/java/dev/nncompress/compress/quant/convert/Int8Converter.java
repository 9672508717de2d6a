package dev.nncompress.compress.quant.convert;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QParams;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.int8.FloatParam;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.QuantizedWeight;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Converts a prepared float graph and its {@link QuantPlan} (from PTQ calibration or QAT) into an
 * {@link Int8Model}: every planned weight becomes int8 codes + per-channel scales (the plan's own
 * {@link QParams}, so the codes are exactly the fake-quantised weights the simulation measured), every
 * other parameter stays float, and the plan's activation parameters travel as they are.
 */
public final class Int8Converter {
    private Int8Converter() {}

    public static Int8Model convert(Graph prepared, QuantPlan plan, Map<String, String> info) {
        Map<String, QuantizedWeight> weights = new LinkedHashMap<>();
        for (var e : plan.weights().entrySet()) {
            QParams q = e.getValue();
            if (!q.scheme().symmetric() || q.scheme().dtype() != QDType.INT8 || q.scheme().axis() != 0) {
                throw new IllegalArgumentException("int8 conversion: weight of '" + e.getKey() + "' must be symmetric int8 per output channel, got " + q.scheme());
            }
            Parameter w = prepared.param(e.getKey() + ".weight");
            float[] v = w.value().toFloatArray();
            weights.put(e.getKey(), new QuantizedWeight(q.quantize(v, w.value().shape()), w.value().shape(), q.scales()));
        }
        Map<String, FloatParam> floats = new LinkedHashMap<>();
        for (Parameter p : prepared.params().values()) {
            String owner = p.name().substring(0, Math.max(0, p.name().indexOf('.')));
            if (p.name().equals(owner + ".weight") && weights.containsKey(owner)) continue;
            floats.put(p.name(), new FloatParam(p.value().toFloatArray(), p.value().shape()));
        }
        Map<String, String> meta = new LinkedHashMap<>(info);
        meta.put("observer", plan.observer());
        meta.put("calibration_images", Integer.toString(plan.calibrationImages()));
        if (!plan.excluded().isEmpty()) meta.put("float_nodes", String.join(",", plan.excluded()));
        return new Int8Model(prepared.name(), prepared.inputShape(), prepared.nodes(), prepared.output(), weights, floats,
                plan.activations(), meta);
    }
}
