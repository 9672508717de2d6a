package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.tensor.Tensor;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Adam / AdamW as torch.optim; the step count is per optimiser, as PyTorch's per-parameter count is in practice. */
final class AdamOptimizer implements Optimizer {
    private final OptimizerConfig.Adam cfg;
    private final Map<Parameter, Tensor[]> moments = new IdentityHashMap<>();
    private int step;

    AdamOptimizer(OptimizerConfig.Adam cfg) { this.cfg = cfg; }

    /** One backend call for all parameters on a backend (one fused pass on the CPU), bit for bit a call per parameter. */
    @Override
    public void step(List<Parameter> params, float lr) {
        step++;
        Map<Backend, List<Tensor>[]> byBackend = new LinkedHashMap<>(); // params, grads, m, v
        for (Parameter p : params) {
            if (p.grad() == null) continue;
            Backend b = Backend.of(p.value());
            Tensor[] mv = moments.computeIfAbsent(p, k -> new Tensor[] {b.zeros(k.value().shape()), b.zeros(k.value().shape())});
            List<Tensor>[] lists = byBackend.computeIfAbsent(b, k -> SgdOptimizer.newLists(4));
            lists[0].add(p.value());
            lists[1].add(p.grad());
            lists[2].add(mv[0]);
            lists[3].add(mv[1]);
        }
        for (Map.Entry<Backend, List<Tensor>[]> e : byBackend.entrySet()) {
            List<Tensor>[] l = e.getValue();
            e.getKey().adamUpdateAll(l[0], l[1], l[2], l[3], step, lr, cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay(), cfg.decoupled());
        }
    }

    /** {@code step}, and {@code m/NAME}, {@code v/NAME} of every parameter that has moments. */
    @Override
    public Map<String, TensorRecord> state(List<Parameter> params) {
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        out.put("step", StateTensors.scalar(step));
        for (Parameter p : params) {
            Tensor[] mv = moments.get(p);
            if (mv == null) continue;
            out.put("m/" + p.name(), StateTensors.record(mv[0].toFloatArray(), mv[0].shape().dimsLong()));
            out.put("v/" + p.name(), StateTensors.record(mv[1].toFloatArray(), mv[1].shape().dimsLong()));
        }
        return out;
    }

    @Override
    public void restore(List<Parameter> params, StateTensors state) {
        close();
        step = (int) state.scalar("step", 0, Integer.MAX_VALUE);
        for (Parameter p : params) {
            if (!state.has("m/" + p.name()) && !state.has("v/" + p.name())) continue;
            long[] shape = p.value().shape().dimsLong();
            float[] m = state.floats("m/" + p.name(), shape);
            float[] v = state.floats("v/" + p.name(), shape);
            for (int i = 0; i < v.length; i++) {
                // a negative second moment would make sqrt(v) NaN at the next step
                if (v[i] < 0) throw new IllegalArgumentException("tensor 'v/" + p.name() + "' holds " + v[i] + " at index " + i + "; a second moment is >= 0");
            }
            var b = Backend.of(p.value());
            moments.put(p, new Tensor[] {b.fromFloats(m, p.value().shape()), b.fromFloats(v, p.value().shape())});
        }
    }

    @Override
    public void close() {
        for (Tensor[] mv : moments.values()) {
            mv[0].close();
            mv[1].close();
        }
        moments.clear();
    }
}
