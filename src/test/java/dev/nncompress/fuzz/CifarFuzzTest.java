package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nncompress.data.DataRequest;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.file.Path;

/**
 * A CIFAR binary folder: the names file and a batch ({@link FilePair}: names first, the batch serving as both the
 * training and the test batch), read as {@code --data FOLDER} ({@link DataFuzz}). Flags: bit 0 CIFAR-100
 * ({@code train.bin}/{@code test.bin}, two label bytes) instead of CIFAR-10, bit 1 its coarse labels. Each variant has a
 * folder of its own, so that one never detects another's files. Regression mode runs the seeds in
 * {@code CifarFuzzTestInputs/cifarBinary/}; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class CifarFuzzTest {
    @FuzzTest(maxDuration = "1m")
    void cifarBinary(byte[] input) {
        DataFuzz.load(write(input));
    }

    /** The input as the folder {@code --data} names, with the option its flags give. */
    static DataRequest write(byte[] input) {
        FilePair p = FilePair.decode(input);
        boolean hundred = (p.flags() & 1) != 0;
        boolean coarse = hundred && (p.flags() & 2) != 0;
        String dir = "cifarBinary/" + (hundred ? coarse ? "coarse" : "fine" : "ten");
        String names = hundred ? coarse ? "coarse_label_names.txt" : "fine_label_names.txt" : "batches.meta.txt";
        FuzzRun.write(dir, names, p.first());
        FuzzRun.write(dir, hundred ? "train.bin" : "data_batch_1.bin", p.second());
        Path folder = FuzzRun.write(dir, hundred ? "test.bin" : "test_batch.bin", p.second()).getParent();
        return DataRequest.of(folder).withCoarseLabels(coarse);
    }
}
