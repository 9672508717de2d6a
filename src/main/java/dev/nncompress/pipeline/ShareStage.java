package dev.nncompress.pipeline;

import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.share.ShareConfig;
import dev.nncompress.compress.share.WeightSharer;
import dev.nncompress.io.ModelIO;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code stage: share}: trained weight sharing as {@code nncompress share} does it (every conv/linear weight's
 * unpruned elements on 2^bits shared values, fine-tuned with SGD momentum 0.9), the artefact written entropy-coded
 * ({@code coded/3}, docs/deep-compression.md). Keys: {@code bits} 5 (linear), {@code conv_bits} 8, {@code layer_bits}
 * (a mapping of layer names to their own bits, e.g. {@code {conv1: 4}}; each checked against the model when the stage runs),
 * {@code bias_bits} (absent: biases stay float), {@code finetune_epochs} 1, {@code lr} 0.001, {@code batch_size} 64.
 */
record ShareStage(int bits, int convBits, Map<String, Integer> layerBits, int biasBits, int epochs, double lr, int batchSize) implements Stage {
    static ShareStage parse(RecipeObject s) {
        int bits = s.integer("bits", 5, ShareConfig.MIN_BITS, ShareConfig.MAX_BITS);
        int convBits = s.integer("conv_bits", 8, ShareConfig.MIN_BITS, ShareConfig.MAX_BITS);
        Map<String, Integer> layerBits = new LinkedHashMap<>();
        RecipeObject layers = s.object("layer_bits");
        if (layers != null) {
            for (String layer : layers.keys()) {
                Integer b = layers.integer(layer, null, ShareConfig.MIN_BITS, ShareConfig.MAX_BITS);
                if (b == null) throw layers.errorAt(layer, "must be an integer in [" + ShareConfig.MIN_BITS + ", " + ShareConfig.MAX_BITS + "]");
                layerBits.put(layer, b);
            }
        }
        int biasBits = s.integer("bias_bits", ShareConfig.FLOAT_BIASES, ShareConfig.MIN_BITS, ShareConfig.MAX_BITS);
        int epochs = s.integer("finetune_epochs", 1, 0, 10_000);
        double lr = s.positive("lr", 0.001);
        int batch = s.integer("batch_size", 64, 1, 1 << 16);
        return new ShareStage(bits, convBits, layerBits, biasBits, epochs, lr, batch);
    }

    @Override public String name() { return "share"; }


    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bits", bits);
        m.put("conv_bits", convBits);
        if (!layerBits.isEmpty()) m.put("layer_bits", layerBits);
        if (biasBits != ShareConfig.FLOAT_BIASES) m.put("bias_bits", biasBits);
        m.put("finetune_epochs", epochs);
        m.put("lr", lr);
        m.put("batch_size", batchSize);
        return m;
    }

    @Override
    public Outcome run(StageContext ctx, ModelState in, Path artefact) {
        TrainConfig finetune = epochs == 0 ? null
                : new TrainConfig(epochs, batchSize, new OptimizerConfig.Sgd((float) lr, 0.9f, 0f, false), new LrSchedule.Constant(), ctx.recipe().seed());
        ShareConfig config = new ShareConfig(bits, convBits, layerBits, biasBits);
        try {
            config.checkLayers(PruneTargets.all(in.graph()).layers());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("share stage: layer_bits: " + e.getMessage(), e);
        }
        new WeightSharer(ctx.backend(), config, finetune).share(in.graph(), PruneTargets.all(in.graph()), ctx.train(), null,
                ctx.epochs(epochs));
        ModelIO.save(in.graph(), artefact, ctx.provenance(), ModelIO.Storage.CODED);
        return Outcome.of(in);
    }
}
