package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * ONNX files (exported fixtures and small hand-built models using every mapped form), mutated byte by byte,
 * then imported with {@code OnnxImporter.importFile}, as every MODEL argument ending in {@code .onnx} is, and
 * run ({@link FuzzRun#onnxFile}). Regression mode (every build) runs the seeds in
 * {@code OnnxModelFuzzTestInputs/onnxModel/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class OnnxModelFuzzTest {
    @DictionaryFile(resourcePath = "onnx.dict")
    @FuzzTest(maxDuration = "1m")
    void onnxModel(byte[] file) {
        FuzzRun.onnxFile("onnxModel", file);
    }
}
