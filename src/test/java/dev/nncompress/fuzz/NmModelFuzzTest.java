package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Model files with N:M-pruned weights stored as kept values + in-group indices ({@code NmStorage}), mutated
 * byte by byte, then loaded with {@code ModelIO.loadAny} and run ({@link FuzzRun#modelFile}).
 * Regression mode (every build) runs the seeds in {@code NmModelFuzzTestInputs/nmModel/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class NmModelFuzzTest {
    @DictionaryFile(resourcePath = "safetensors.dict")
    @FuzzTest(maxDuration = "1m")
    void nmModel(byte[] file) {
        FuzzRun.modelFile("nmModel", SafetensorsFraming.reframe(file));
    }
}
