package dev.nncompress.compress.share;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;

/**
 * Trained weight sharing of a graph in place (Deep Compression's second stage): cluster every target weight's
 * unpruned elements ({@link SharedWeights#cluster}), write the centroids in, and fine-tune the centroids with
 * the assignments and zeros held ({@link SharingStepHook}) when {@code finetune} is not null. Each stage is
 * evaluated on {@code test} when it is not null.
 */
public final class WeightSharer {
    private final Backend backend;
    private final ShareConfig config;
    private final TrainConfig finetune;

    /** @param finetune the centroid fine-tuning, null for none */
    public WeightSharer(Backend backend, ShareConfig config, TrainConfig finetune) {
        if (config == null) throw new IllegalArgumentException("config must not be null");
        this.backend = backend;
        this.config = config;
        this.finetune = finetune;
    }

    /** The clusters (centroids as fine-tuned) and the accuracy after clustering and after fine-tuning (null where not run). */
    public record Result(SharedWeights shared, EvalResult clustered, EvalResult fineTuned) {}

    public Result share(Graph graph, PruneTargets targets, Dataset train, Dataset test, TrainListener listener) {
        SharedWeights shared = SharedWeights.cluster(graph, targets, config);
        SharingStepHook hook = new SharingStepHook(graph, shared);
        EvalResult clustered = evaluate(graph, test);
        if (finetune == null) return new Result(shared, clustered, null);
        new Trainer(backend, finetune, hook).fit(graph, train, null, listener);
        return new Result(shared, clustered, evaluate(graph, test));
    }

    private EvalResult evaluate(Graph graph, Dataset test) { return test == null ? null : new Evaluator(backend, 256).evaluate(graph, test); }
}
