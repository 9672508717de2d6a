package dev.nncompress.train;

import dev.nncompress.io.TensorRecord;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training run stopped between two steps, complete enough to continue bit for bit: where it is (epoch, batch
 * within the epoch, global step = the schedule's and dropout's position), the running loss of the current epoch,
 * the finished epochs' statistics, and as tensors the parameters and buffers ({@code param/}), the optimiser's
 * state ({@code optim/}) and the step hook's ({@code hook/}: masks, observed ranges). No random generator state is
 * needed: the data order of epoch e is a permutation seeded by (seed, e) ({@code data.Batches}) and dropout's mask
 * of a step is seeded by (seed, global step), both rebuilt from the configuration and the position.
 *
 * <p>The constructor checks that the position is consistent (a checkpoint read from a file goes through it);
 * whether it fits the run it is restored into is checked by the {@link Trainer}.
 *
 * @param epoch         epochs finished, 0..epochs (epochs: training is over)
 * @param step          batches of {@code epoch} already trained, 0..stepsPerEpoch-1
 * @param environment   backend and threads it was made on (a resume elsewhere may differ in the last bits)
 */
public record Checkpoint(int epochs, int stepsPerEpoch, int epoch, int step, long globalStep, double epochLossSum, int epochSeen,
                         List<EpochStats> history, CheckpointConfig config, String environment, Map<String, TensorRecord> tensors) {
    public static final String PARAMS = "param/";
    public static final String OPTIMIZER = "optim/";
    public static final String HOOK = "hook/";

    public Checkpoint {
        Check.positive("epochs", epochs);
        Check.positive("steps per epoch", stepsPerEpoch);
        if (epoch < 0 || epoch > epochs) throw new IllegalArgumentException("epoch " + epoch + " is outside 0.." + epochs);
        if (step < 0 || step >= stepsPerEpoch) throw new IllegalArgumentException("step " + step + " is outside 0.." + (stepsPerEpoch - 1));
        if (epoch == epochs && step != 0) throw new IllegalArgumentException("step " + step + " after the last epoch");
        if (globalStep != (long) epoch * stepsPerEpoch + step) {
            throw new IllegalArgumentException("global step " + globalStep + " is not epoch " + epoch + " x " + stepsPerEpoch + " steps + step " + step);
        }
        if (!Double.isFinite(epochLossSum)) throw new IllegalArgumentException("the epoch's loss sum is " + epochLossSum);
        if (epochSeen < 0 || (step == 0) != (epochSeen == 0)) {
            throw new IllegalArgumentException("the epoch has seen " + epochSeen + " images after " + step + " steps");
        }
        if (history.size() != epoch) throw new IllegalArgumentException("statistics of " + history.size() + " epochs, " + epoch + " finished");
        for (int i = 0; i < history.size(); i++) {
            EpochStats s = history.get(i);
            if (s.epoch() != i + 1) throw new IllegalArgumentException("statistics entry " + i + " is for epoch " + s.epoch() + ", expected " + (i + 1));
        }
        if (config == null || environment == null) throw new IllegalArgumentException("configuration and environment must be set");
        history = List.copyOf(history);
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        for (String name : tensors.keySet()) {
            if (!name.startsWith(PARAMS) && !name.startsWith(OPTIMIZER) && !name.startsWith(HOOK)) {
                throw new IllegalArgumentException("tensor '" + name + "' is in no section (" + PARAMS + ", " + OPTIMIZER + ", " + HOOK + ")");
            }
        }
    }

    /** Whether training was over when it was written (a resume goes straight to what follows training). */
    public boolean finished() { return epoch == epochs; }

    /** "epoch 2/3, step 10/32" (1-based epoch of the next step), or "end of training". */
    public String describePosition() {
        return finished() ? "the end of training (" + epochs + (epochs == 1 ? " epoch)" : " epochs)") : "epoch " + (epoch + 1) + "/" + epochs + ", step " + step + "/" + stepsPerEpoch;
    }
}
