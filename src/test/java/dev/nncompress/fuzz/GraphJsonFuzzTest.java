package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Structure-aware: valid model files (the model targets' seeds) with their graph description, sparse index,
 * tensor shapes, single values or metadata edited ({@link ModelMutator}), then loaded and run like the other
 * model targets ({@link FuzzRun#modelFile}). Byte-wise mutation rarely gets past the JSON inside the
 * header; this target reaches the semantic checks: attribute ranges, geometry, shapes, wiring, scales.
 * Regression mode runs the inputs in {@code GraphJsonFuzzTestInputs/graphAttributes/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class GraphJsonFuzzTest {
    @FuzzTest(maxDuration = "1m")
    void graphAttributes(FuzzedDataProvider data) {
        FuzzRun.modelFile("graphAttributes", ModelMutator.mutate(data));
    }
}
