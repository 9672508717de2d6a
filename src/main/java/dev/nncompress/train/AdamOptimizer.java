package dev.nncompress.train;

import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Tensor;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** Adam / AdamW as torch.optim; the step count is per optimiser, as PyTorch's per-parameter count is in practice. */
final class AdamOptimizer implements Optimizer {
    private final OptimizerConfig.Adam cfg;
    private final Map<Parameter, Tensor[]> moments = new IdentityHashMap<>();
    private int step;

    AdamOptimizer(OptimizerConfig.Adam cfg) { this.cfg = cfg; }

    @Override
    public void step(List<Parameter> params, float lr) {
        step++;
        for (Parameter p : params) {
            if (p.grad() == null) continue;
            Tensor[] mv = moments.computeIfAbsent(p, k -> new Tensor[] {
                    k.value().backend().zeros(k.value().shape()), k.value().backend().zeros(k.value().shape())});
            p.value().backend().adamUpdate(p.value(), p.grad(), mv[0], mv[1], step, lr, cfg.beta1(), cfg.beta2(), cfg.eps(),
                    cfg.weightDecay(), cfg.decoupled());
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
