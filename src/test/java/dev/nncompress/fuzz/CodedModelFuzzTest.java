package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Weight-shared model files in the entropy-coded format ({@code CodedStorage}: {@code coded/3}'s body with its deflated header, and
 * {@code coded/1} seeds whose plain index, codebooks, Huffman tables and bit streams mutations reach directly), mutated byte by byte, then loaded with {@code ModelIO.loadAny} and run on the dense and
 * the sparse kernels ({@link FuzzRun#modelFile}). Regression mode (every build) runs the seeds in
 * {@code CodedModelFuzzTestInputs/codedModel/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class CodedModelFuzzTest {
    @DictionaryFile(resourcePath = "safetensors.dict")
    @FuzzTest(maxDuration = "1m")
    void codedModel(byte[] file) {
        FuzzRun.modelFile("codedModel", SafetensorsFraming.reframe(file));
    }
}
