package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nncompress.data.DataRequest;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One PNG or JPEG file (the input) in class folder {@code a} of an image folder whose class {@code b} holds a fixed
 * valid grayscale PNG twice, read as {@code --data FOLDER} ({@link DataFuzz}) at the default size (32): the JDK's decoders
 * behind {@code ImageDecoder} (header limits, subsampling, colour models), the resampler, and the gray/RGB channel
 * rule across classes. The file is named {@code input.png} whatever it holds: the decoder goes by content. Seeds
 * ({@code ImageFolderFuzzTestInputs/imageFolder/}): RGB, gray, gray+alpha, 16-bit, palette and 1-bit PNGs and a
 * baseline JPEG, a few pixels each; fuzzing: {@code scripts/fuzz.sh}.
 */
@EnabledIf(value = "dev.nncompress.fuzz.PerTargetFuzzing#enabled", disabledReason = "its seeds run in AllTargetsFuzzTest; -Dfuzz.perTarget=true runs them here")
class ImageFolderFuzzTest {
    @FuzzTest(maxDuration = "1m")
    void imageFolder(byte[] image) {
        DataFuzz.load(write(image));
    }

    /** The input as an image of the folder {@code --data} names. */
    static DataRequest write(byte[] image) {
        Path folder = FuzzRun.write("imageFolder/images/a", "input.png", image).getParent().getParent();
        for (String name : new String[] {"0.png", "1.png"}) { // three images in all: the seeded split holds one out
            if (!Files.exists(folder.resolve("b").resolve(name))) FuzzRun.write("imageFolder/images/b", name, DataSeeds.grayPng());
        }
        return DataRequest.of(folder);
    }
}
