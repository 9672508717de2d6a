package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * ONNX files (exported fixtures and small hand-built models using every mapped form), mutated byte by byte,
 * then imported with {@code OnnxImporter.importFile}, as every MODEL argument ending in {@code .onnx} is, and
 * run ({@link FuzzRun#onnxFile}). Regression mode (every build) runs the seeds in
 * {@code OnnxModelFuzzTestInputs/onnxModel/}; fuzzing: {@code scripts/fuzz.sh}.
 */
class OnnxModelFuzzTest {
    @DictionaryFile(resourcePath = "onnx.dict")
    @FuzzTest(maxDuration = "1m")
    void onnxModel(byte[] file) {
        FuzzRun.onnxFile("onnxModel", file);
    }
}
