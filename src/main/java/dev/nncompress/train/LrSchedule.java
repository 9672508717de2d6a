package dev.nncompress.train;

/**
 * Learning rate as a function of the global step (counted from 0), evaluated every step so that
 * cosine decays smoothly within epochs. Validated on construction.
 */
public sealed interface LrSchedule permits LrSchedule.Constant, LrSchedule.Step, LrSchedule.Cosine {
    float lr(float baseLr, long step, long totalSteps, int stepsPerEpoch);

    record Constant() implements LrSchedule {
        @Override public float lr(float baseLr, long step, long totalSteps, int stepsPerEpoch) { return baseLr; }
    }

    /** torch's StepLR: multiply by gamma every {@code everyEpochs} epochs. */
    record Step(int everyEpochs, float gamma) implements LrSchedule {
        public Step {
            Check.positive("everyEpochs", everyEpochs);
            Check.range("gamma", gamma, 0, 1, true);
        }

        @Override
        public float lr(float baseLr, long step, long totalSteps, int stepsPerEpoch) {
            long epoch = step / Math.max(1, stepsPerEpoch);
            return (float) (baseLr * Math.pow(gamma, (double) (epoch / everyEpochs)));
        }
    }

    /** Cosine annealing from baseLr to {@code minLr} over the whole run (torch's CosineAnnealingLR per step). */
    record Cosine(float minLr) implements LrSchedule {
        public Cosine {
            Check.range("minLr", minLr, 0, Double.MAX_VALUE, false);
        }

        @Override
        public float lr(float baseLr, long step, long totalSteps, int stepsPerEpoch) {
            double t = totalSteps <= 1 ? 0 : (double) step / totalSteps;
            return (float) (minLr + (baseLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * t)));
        }
    }

    /** Parses "constant", "step:EVERY[:GAMMA]" (e.g. step:1:0.5; GAMMA defaults to 0.1) or "cosine[:MINLR]". */
    static LrSchedule parse(String spec) {
        String[] p = spec.trim().split(":", -1);
        String usage = "; use constant, step:EVERY:GAMMA or cosine[:MINLR]";
        int maxFields = switch (p[0]) {
            case "constant" -> 1;
            case "step" -> 3;
            case "cosine" -> 2;
            default -> throw new IllegalArgumentException("unknown schedule '" + spec + "'" + usage);
        };
        if (p.length > maxFields) throw new IllegalArgumentException("too many ':' fields in '" + spec + "'" + usage);
        try {
            return switch (p[0]) {
                case "step" -> new Step(p.length > 1 ? Integer.parseInt(p[1]) : 1, p.length > 2 ? Float.parseFloat(p[2]) : 0.1f);
                case "cosine" -> new Cosine(p.length > 1 ? Float.parseFloat(p[1]) : 0f);
                default -> new Constant();
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in schedule '" + spec + "' (" + e.getMessage() + ")" + usage);
        }
    }
}
