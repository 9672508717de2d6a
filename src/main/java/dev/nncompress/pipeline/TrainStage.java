package dev.nncompress.pipeline;

import dev.nncompress.io.ModelIO;
import dev.nncompress.train.Trainer;

import java.nio.file.Path;
import java.util.Map;

/** {@code stage: train}: trains the current float model as {@code nncompress train} does (same optimisers, defaults, data order). */
record TrainStage(TrainingSpec training) implements Stage {

    static TrainStage parse(RecipeObject s) { return new TrainStage(TrainingSpec.parse(s)); }

    @Override public String name() { return "train"; }

    @Override public Map<String, Object> settings() { return training.settings(); }

    @Override
    public Outcome run(StageContext ctx, ModelState in, Path artefact) {
        new Trainer(ctx.backend(), training.config(ctx.recipe().seed())).fit(in.graph(), ctx.train(), ctx.test(), ctx.epochs(training.epochs()));
        ModelIO.save(in.graph(), artefact, ctx.provenance());
        return Outcome.of(in);
    }
}
