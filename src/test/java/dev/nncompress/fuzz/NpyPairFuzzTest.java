package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.nncompress.data.DataRequest;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * A folder of {@code x.npy} and {@code y.npy} ({@link FilePair}: x first; the flags are not used), mutated byte by byte
 * with the header dictionary's words in the dictionary, then read as {@code --data FOLDER} ({@link DataFuzz}): the
 * {@code .npy} header parser ({@code NpyHeader}: versions, dtypes, byte orders, shapes) and the array reader. Regression
 * mode runs the seeds in {@code NpyPairFuzzTestInputs/npyPair/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class NpyPairFuzzTest {
    @FuzzTest(maxDuration = "1m")
    void npyPair(byte[] input) {
        DataFuzz.load(write(input));
    }

    /** The input as the folder {@code --data} names. */
    static DataRequest write(byte[] input) {
        FilePair p = FilePair.decode(input);
        FuzzRun.write("npyPair/arrays", "x.npy", p.first());
        return DataRequest.of(FuzzRun.write("npyPair/arrays", "y.npy", p.second()).getParent());
    }
}
