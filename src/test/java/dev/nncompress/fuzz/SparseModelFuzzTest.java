package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Pruned model files whose weights are stored as bitmask + values ({@code SparseStorage}), mutated byte by
 * byte, then loaded with {@code ModelIO.loadAny} and run on the dense and the sparse kernels ({@link FuzzRun#modelFile}).
 * Regression mode (every build) runs the seeds in {@code SparseModelFuzzTestInputs/sparseModel/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class SparseModelFuzzTest {
    @DictionaryFile(resourcePath = "safetensors.dict")
    @FuzzTest(maxDuration = "1m")
    void sparseModel(byte[] file) {
        FuzzRun.modelFile("sparseModel", SafetensorsFraming.reframe(file));
    }
}
