package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SGD with momentum, weight decay and Nesterov, as torch.optim.SGD (the update is the backend's). */
final class SgdOptimizer implements Optimizer {
    private final OptimizerConfig.Sgd cfg;
    private final Map<Parameter, Tensor> velocity = new IdentityHashMap<>();

    SgdOptimizer(OptimizerConfig.Sgd cfg) { this.cfg = cfg; }

    /** One backend call for all parameters on a backend (one fused pass on the CPU), bit for bit a call per parameter. */
    @Override
    public void step(List<Parameter> params, float lr) {
        Map<Backend, List<Tensor>[]> byBackend = new LinkedHashMap<>(); // params, grads, velocities
        for (Parameter p : params) {
            if (p.grad() == null) continue;
            Backend b = Backend.of(p.value());
            List<Tensor>[] lists = byBackend.computeIfAbsent(b, k -> newLists(3));
            lists[0].add(p.value());
            lists[1].add(p.grad());
            if (cfg.momentum() > 0) lists[2].add(velocity.computeIfAbsent(p, k -> b.zeros(k.value().shape())));
        }
        for (Map.Entry<Backend, List<Tensor>[]> e : byBackend.entrySet()) {
            List<Tensor>[] l = e.getValue();
            e.getKey().sgdUpdateAll(l[0], l[1], cfg.momentum() > 0 ? l[2] : null, lr, cfg.momentum(), cfg.weightDecay(), cfg.nesterov());
        }
    }

    @SuppressWarnings("unchecked")
    static List<Tensor>[] newLists(int count) {
        List<Tensor>[] lists = new List[count];
        for (int i = 0; i < count; i++) lists[i] = new ArrayList<>();
        return lists;
    }

    /** {@code velocity/NAME} of every parameter that has one (made at its first gradient). */
    @Override
    public Map<String, TensorRecord> state(List<Parameter> params) {
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        for (Parameter p : params) {
            Tensor v = velocity.get(p);
            if (v != null) out.put("velocity/" + p.name(), StateTensors.record(v.toFloatArray(), v.shape().dimsLong()));
        }
        return out;
    }

    @Override
    public void restore(List<Parameter> params, StateTensors state) {
        close();
        for (Parameter p : params) {
            String name = "velocity/" + p.name();
            if (!state.has(name)) continue; // no gradient yet: made as zeros at the first one, as before the checkpoint
            float[] v = state.floats(name, p.value().shape().dimsLong());
            velocity.put(p, Backend.of(p.value()).fromFloats(v, p.value().shape()));
        }
    }

    @Override
    public void close() {
        velocity.values().forEach(Tensor::close);
        velocity.clear();
    }
}
