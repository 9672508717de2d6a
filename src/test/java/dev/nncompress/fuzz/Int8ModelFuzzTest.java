package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * int8 model files ({@code Int8ModelIO}: I8 weights, per-channel scales, activation scales and zero
 * points), mutated byte by byte, then loaded with {@code ModelIO.loadAny} and run on the int8 runner ({@link FuzzRun#modelFile}).
 * Regression mode (every build) runs the seeds in {@code Int8ModelFuzzTestInputs/int8Model/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class Int8ModelFuzzTest {
    @DictionaryFile(resourcePath = "safetensors.dict")
    @FuzzTest(maxDuration = "1m")
    void int8Model(byte[] file) {
        FuzzRun.modelFile("int8Model", SafetensorsFraming.reframe(file));
    }
}
