package dev.nncompress.pipeline;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One step of a recipe. Parsed (and fully validated) from its mapping by {@link #parse}; run on the model the
 * previous step left, writing its artefact; the pipeline then evaluates what it returns.
 */
interface Stage {
    List<String> KINDS = List.of("train", "prune", "distill", "quantize", "export", "share");

    /** The stage kind as written in the recipe ({@code train}, {@code prune}, ...). */
    String name();

    /** The stage's settings as read (defaults filled in), for the report and provenance. */
    Map<String, Object> settings();

    /** True when the stage needs a float model (all but export). */
    default boolean needsFloat() { return true; }

    /** True when the accuracy budget applies to the stage (prune, quantize). */
    default boolean hasBudget() { return false; }

    /** True when the model after the stage is int8 (quantize). */
    default boolean makesInt8() { return false; }

    /** Checks against what the model will be when the stage runs (int8 or not) and the stages before it, at parse time. */
    default void checkInput(RecipeObject at, boolean int8, List<Stage> earlier) { }

    /** The artefact's file extension for a model of that kind coming in. */
    default String extension(ModelState in) { return ".safetensors"; }

    /** Runs the stage on {@code in}, writes {@code artefact}, and returns the model after it. */
    Outcome run(StageContext ctx, ModelState in, Path artefact);

    /**
     * What a stage produced: the model after it, the model to evaluate (a re-read exported file, or {@code model}),
     * per-layer quantisation SQNR in dB (quantize) and notes for the report.
     */
    record Outcome(ModelState model, ModelState evaluated, Map<String, Double> sqnrDb, List<String> notes) {
        static Outcome of(ModelState m) { return new Outcome(m, m, Map.of(), List.of()); }
    }

    /** The stage of mapping {@code s}, by its {@code stage} key. */
    static Stage parse(RecipeObject s) {
        String kind = s.string("stage", null);
        if (kind == null) throw s.errorAt("stage", "is required: one of " + String.join(", ", KINDS));
        return switch (kind) {
            case "train" -> TrainStage.parse(s);
            case "prune" -> PruneStage.parse(s);
            case "distill" -> DistillStage.parse(s);
            case "quantize" -> QuantizeStage.parse(s);
            case "export" -> ExportStage.parse(s);
            case "share" -> ShareStage.parse(s);
            default -> throw s.errorAt("stage", "must be one of " + String.join(", ", KINDS) + ", got '" + kind + "'");
        };
    }
}
