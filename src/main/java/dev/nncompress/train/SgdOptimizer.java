package dev.nncompress.train;

import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Tensor;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** SGD with momentum, weight decay and Nesterov, as torch.optim.SGD (the update is the backend's). */
final class SgdOptimizer implements Optimizer {
    private final OptimizerConfig.Sgd cfg;
    private final Map<Parameter, Tensor> velocity = new IdentityHashMap<>();

    SgdOptimizer(OptimizerConfig.Sgd cfg) { this.cfg = cfg; }

    @Override
    public void step(List<Parameter> params, float lr) {
        for (Parameter p : params) {
            if (p.grad() == null) continue;
            Tensor v = null;
            if (cfg.momentum() > 0) v = velocity.computeIfAbsent(p, k -> k.value().backend().zeros(k.value().shape()));
            p.value().backend().sgdUpdate(p.value(), p.grad(), v, lr, cfg.momentum(), cfg.weightDecay(), cfg.nesterov());
        }
    }

    @Override
    public void close() {
        velocity.values().forEach(Tensor::close);
        velocity.clear();
    }
}
