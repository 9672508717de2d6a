package dev.nncompress.train;

/** Which optimiser to use and its hyper-parameters; validated on construction. */
public sealed interface OptimizerConfig permits OptimizerConfig.Sgd, OptimizerConfig.Adam {
    float lr();

    Optimizer create();

    /** torch.optim.SGD. */
    record Sgd(float lr, float momentum, float weightDecay, boolean nesterov) implements OptimizerConfig {
        public Sgd {
            Check.positive("lr", lr);
            Check.range("momentum", momentum, 0, 1, false);
            Check.range("weightDecay", weightDecay, 0, 1, true);
            if (nesterov && momentum == 0) throw new IllegalArgumentException("nesterov needs momentum > 0");
        }

        @Override public Optimizer create() { return new SgdOptimizer(this); }
    }

    /** torch.optim.Adam (decoupled=false, weight decay as L2) or AdamW (decoupled=true). */
    record Adam(float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled) implements OptimizerConfig {
        public Adam {
            Check.positive("lr", lr);
            Check.range("beta1", beta1, 0, 1, false);
            Check.range("beta2", beta2, 0, 1, false);
            Check.positive("eps", eps);
            Check.range("weightDecay", weightDecay, 0, 1, true);
        }

        public static Adam adam(float lr) { return new Adam(lr, 0.9f, 0.999f, 1e-8f, 0f, false); }

        public static Adam adamW(float lr, float weightDecay) { return new Adam(lr, 0.9f, 0.999f, 1e-8f, weightDecay, true); }

        @Override public Optimizer create() { return new AdamOptimizer(this); }
    }
}
