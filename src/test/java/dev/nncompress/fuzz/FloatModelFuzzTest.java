package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Model files with dense float weights ({@code ModelIO.save} of small graphs using every op), mutated byte by byte,
 * then loaded with {@code ModelIO.loadAny} and run ({@link FuzzRun#modelFile}).
 * Regression mode (every build) runs the seeds in {@code FloatModelFuzzTestInputs/floatModel/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class FloatModelFuzzTest {
    @DictionaryFile(resourcePath = "safetensors.dict")
    @FuzzTest(maxDuration = "1m")
    void floatModel(byte[] file) {
        FuzzRun.modelFile("floatModel", SafetensorsFraming.reframe(file));
    }
}
