package dev.nncompress.compress;

import dev.nncompress.compress.quant.Observers;
import dev.nncompress.util.RequestSpelling;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPreset;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * What a user asks of int8 quantisation, whichever front end they use: {@code nncompress quantize}'s options and a
 * recipe's {@code stage: quantize} keys map onto these fields and are checked by {@link #validate}, one copy of the
 * rules. The recipe key of each setting is its {@link Field}'s lower-case name, the command's Java field its camelCase.
 * {@code qatEpochs} 0 is post-training quantisation only; {@code sampleSeed} and {@code qatImages} are null when not given.
 */
public record QuantizeRequest(String observer, String preset, int calib, List<String> exclude, Long sampleSeed, int qatEpochs, double qatLr,
                              Integer qatImages, int sensitivity, int batchSize) {

    /** Every setting; {@code key(f)} is its recipe key. */
    public enum Field { OBSERVER, PRESET, CALIB, EXCLUDE, SAMPLE_SEED, QAT_EPOCHS, QAT_LR, QAT_IMAGES, SENSITIVITY, BATCH_SIZE }

    public QuantizeRequest {
        exclude = exclude == null ? List.of() : List.copyOf(exclude);
    }

    /** Checks every setting before any model or image is read; the first problem is thrown through {@code sp}. */
    public void validate(RequestSpelling<Field> sp) {
        sp.positive(Field.CALIB, calib);
        sp.positive(Field.BATCH_SIZE, batchSize);
        sp.nonNegative(Field.SENSITIVITY, sensitivity);
        if (!Observers.NAMES.contains(observer)) throw sp.error(Field.OBSERVER, "must be one of " + String.join(", ", Observers.NAMES) + ", got '" + observer + "'");
        if (Arrays.stream(QuantPreset.values()).noneMatch(p -> p.cliName().equals(preset))) {
            throw sp.error(Field.PRESET, preset + " is not one of: " + String.join(", ", Arrays.stream(QuantPreset.values()).map(QuantPreset::cliName).toList()));
        }
        sp.nonNegative(Field.QAT_EPOCHS, qatEpochs);
        sp.positive(Field.QAT_LR, qatLr);
        if (qatImages != null) sp.positive(Field.QAT_IMAGES, qatImages);
    }

    public QuantPreset quantPreset() { return QuantPreset.of(preset); }

    /** The quantised layers of the prepared graph {@code g}; an excluded name that is not a node is thrown through {@code sp}. */
    public QuantTargets targets(Graph g, RequestSpelling<Field> sp) { return targets(g, exclude, sp); }

    /** {@link #targets} with {@code excluded} in float instead of the request's exclusions (the accuracy budget's fallback). */
    public QuantTargets targets(Graph g, List<String> excluded, RequestSpelling<Field> sp) {
        try {
            return QuantTargets.of(g, new LinkedHashSet<>(excluded), quantPreset());
        } catch (IllegalArgumentException e) {
            throw sp.invalid(Field.EXCLUDE, e.getMessage());
        }
    }

    /** The calibration images: the first {@code calib}, or all of them when {@code sampleSeed} draws them at random. */
    public Dataset calibrationImages(Dataset train) { return sampleSeed == null ? train.slice(0, Math.min(calib, train.count())) : train; }

    public Calibrator calibrator() { return new Calibrator(observer, calib, batchSize, sampleSeed); }

    /** The images quantisation-aware training runs on: the first {@code qatImages}, or all. */
    public Dataset qatTrainingSet(Dataset train) { return qatImages == null ? train : train.slice(0, Math.min(qatImages, train.count())); }
}
