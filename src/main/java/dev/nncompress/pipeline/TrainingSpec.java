package dev.nncompress.pipeline;

import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training settings of a {@code train} or {@code distill} stage, with {@code train}'s defaults (sgd lr 0.01
 * momentum 0.9, batch 64, constant schedule): the same optimiser configs the commands build.
 */
record TrainingSpec(int epochs, int batchSize, String optimizer, double lr, double momentum, double weightDecay, String schedule) {

    static TrainingSpec parse(RecipeObject o) {
        int epochs = o.integer("epochs", 1, 1, 10_000);
        int batch = o.integer("batch_size", 64, 1, 1 << 16);
        String opt = o.choice("optimizer", "sgd", List.of("sgd", "adam", "adamw"));
        double lr = o.positive("lr", 0.01);
        Double momentum = o.number("momentum", null, 0, 1, false);
        if (momentum != null && !opt.equals("sgd")) throw o.errorAt("momentum", "applies to optimizer sgd only (adam uses beta1 = 0.9)");
        double wd = o.number("weight_decay", 0.0, 0, 1, true);
        String schedule = o.string("schedule", "constant");
        lrSchedule(o, "schedule", schedule);
        return new TrainingSpec(epochs, batch, opt, lr, momentum == null ? 0.9 : momentum, wd, schedule);
    }

    /** {@code spec} parsed as an LR schedule, or the error at {@code key}. */
    static LrSchedule lrSchedule(RecipeObject o, String key, String spec) {
        try {
            return LrSchedule.parse(spec);
        } catch (IllegalArgumentException e) {
            throw o.errorAt(key, e.getMessage());
        }
    }

    TrainConfig config(long seed) {
        OptimizerConfig oc = switch (optimizer) {
            case "adam" -> new OptimizerConfig.Adam((float) lr, 0.9f, 0.999f, 1e-8f, (float) weightDecay, false);
            case "adamw" -> OptimizerConfig.Adam.adamW((float) lr, (float) weightDecay);
            default -> new OptimizerConfig.Sgd((float) lr, (float) momentum, (float) weightDecay, false);
        };
        return new TrainConfig(epochs, batchSize, oc, LrSchedule.parse(schedule), seed);
    }

    Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epochs", epochs);
        m.put("batch_size", batchSize);
        m.put("optimizer", optimizer);
        m.put("lr", lr);
        if (optimizer.equals("sgd")) m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("schedule", schedule);
        return m;
    }
}
