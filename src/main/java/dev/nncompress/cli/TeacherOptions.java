package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.distill.CachedTeacherLogits;
import dev.nncompress.compress.distill.DistillationLoss;
import dev.nncompress.compress.distill.ResponseDistillation;
import dev.nncompress.compress.distill.TeacherLogits;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Predictor;
import dev.nncompress.models.Models;
import dev.nncompress.train.Check;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The teacher of {@code distill} and of {@code quantize}'s QAT: the file, the response loss's settings, and the one
 * place that turns them into a {@link DistillationLoss}. A picocli argument group, not a mixin, because distill
 * requires it ({@code multiplicity = "1"}) while quantize takes it or not ({@code "0..1"}); inside the group
 * {@code --teacher} is required, so {@code --alpha} and the others cannot be given without it.
 */
public final class TeacherOptions {
    @Option(names = "--teacher", required = true, paramLabel = "FILE",
            description = "Trained teacher: a float model file (also a pruned one) or an int8 file from 'quantize --out'; for 'prune --structured' "
                    + "also 'dense', the model before pruning (./dense for a file of that name). Frozen, run in inference mode.")
    String file;

    /** prune --structured's teacher that is the model itself before pruning; a file of that name is ./dense. */
    static final String DENSE = "dense";

    /** True when --teacher names the model before pruning ({@value #DENSE}), not a file (prune --structured only). */
    boolean isDense() { return DENSE.equals(file); }

    @Option(names = "--temperature", defaultValue = "4", paramLabel = "T", description = "Softmax temperature of the soft targets (default: ${DEFAULT-VALUE}).")
    double temperature;

    // 0.5, not Hinton's 0.9: 3-epoch students from the 3-epoch teacher, 8 seeds, gained +1.09 points at alpha 0.5
    // and +0.66 at 0.9 (3 seeds) over plain training (docs/distillation.md)
    @Option(names = "--alpha", defaultValue = "0.5", paramLabel = "A",
            description = "Weight of the soft (teacher) term in [0, 1]; the labels' cross-entropy gets 1 - A (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--cache-teacher", description = "Run the teacher once over the training set and reuse its logits every epoch.")
    boolean cacheTeacher;

    /** A loaded teacher and its frozen predictor: a float graph on the backend or an int8 runner. Closing closes the predictor. */
    record Teacher(ModelSource source, Predictor predictor) implements AutoCloseable {
        @Override public void close() { predictor.close(); }
    }

    /** Checks the options (usage errors name them) and returns the response loss they set; loads nothing. */
    ResponseDistillation response() {
        Check.positive("--temperature", temperature);
        Check.range("--alpha", alpha, 0, 1, true);
        if (Models.NAMES.contains(file)) {
            throw new IllegalArgumentException("--teacher " + file + " is a built-in, untrained model; give a trained model file (write ./" + file + " for a file of that name)");
        }
        return new ResponseDistillation(temperature, alpha);
    }

    /** The teacher file read and checked before any backend exists ({@link ModelSource#read}). */
    ModelSource.Read read(long seed) { return ModelSource.read(file, seed); }

    /** Opens {@code t} for inference, refused (usage error naming both) when its input or class count differs from {@code student}'s. */
    Teacher open(ModelSource t, Graph student, Backend backend, Int8Option int8, PrintWriter err) {
        Predictor p = t.isInt8() ? int8.runner(t.int8(), backend, err) : new GraphPredictor(Logits.of(t.graph()), backend); // logits, not a final Softmax's probabilities
        try {
            DistillationLoss.checkCompatible(p, student);
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return new Teacher(t, p);
    }

    /**
     * The response-only loss: the teacher live every step, or with {@code --cache-teacher} run once over {@code train}
     * at {@code batchSize} (the live path's batch: 256 was not faster here, noisy), saying so through {@code note}.
     */
    DistillationLoss responseLoss(Teacher teacher, Dataset train, int batchSize, Consumer<String> note) {
        if (!cacheTeacher) return DistillationLoss.response(response(), TeacherLogits.live(teacher.predictor()));
        CachedTeacherLogits cache = CachedTeacherLogits.compute(teacher.predictor(), train, batchSize);
        note.accept(String.format(Locale.ROOT, "cached teacher logits for %s images in %.1f s (%.0f img/s)",
                CliSupport.grouped(cache.count()), cache.seconds(), cache.count() / cache.seconds()));
        return DistillationLoss.response(response(), cache);
    }

    /** "T 4.0, alpha 0.5" */
    String describe() { return "T " + temperature + ", alpha " + alpha; }

    /** The provenance config's entries for these options. */
    void putConfig(Map<String, Object> cfg) {
        cfg.put("temperature", temperature);
        cfg.put("alpha", alpha);
        cfg.put("cache_teacher", cacheTeacher);
    }
}
