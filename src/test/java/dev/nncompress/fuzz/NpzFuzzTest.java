package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.nncompress.data.DataRequest;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * {@code .npz} archives (the NumPy fixtures of {@code src/test/resources/data} and hand-built ones: uint8 and
 * float32, NHWC, NCHW and N,H,W, stored and deflated entries), mutated byte by byte, then read as {@code --data
 * FILE.npz} ({@link DataFuzz}): the zip directory ({@code NpzFile}), each entry's header ({@code NpyHeader}) and data
 * ({@code NpyArray}). Regression mode runs the seeds in {@code NpzFuzzTestInputs/npzFile/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class NpzFuzzTest {
    @FuzzTest(maxDuration = "1m")
    void npzFile(byte[] file) {
        DataFuzz.load(write(file));
    }

    /** The input as the file {@code --data} names. */
    static DataRequest write(byte[] file) {
        return DataRequest.of(FuzzRun.write("npzFile", "input.npz", file));
    }
}
